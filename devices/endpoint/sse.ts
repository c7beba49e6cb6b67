// Server-sent events with arrival timestamps. Each read from the socket is stamped the moment it
// returns, before any decoding or parsing; every event the read completes (the blank line that
// ends it arrived in that read) carries that stamp. eventsource-parser does the framing: events
// split across reads, several per read, comments, CR/LF variants.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface TimedEvent {
  /** performance.now() ms when the read completing this event returned. */
  readonly time: number;
  readonly event: string | undefined;
  readonly data: string;
}

/** Yields the stream's events in order with their arrival stamps; comments are dropped. */
export async function* timedEvents(
  body: ReadableStream<Uint8Array>,
  now: () => number = () => performance.now(),
): AsyncGenerator<TimedEvent> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => pending.push(e) });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const time = now();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      while (pending.length) {
        const e = pending.shift()!;
        yield { time, event: e.event, data: e.data };
      }
    }
    // A final event without its blank line is incomplete by the SSE rules and is not dispatched.
  } finally {
    reader.releaseLock();
  }
}
