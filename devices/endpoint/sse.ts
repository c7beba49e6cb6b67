// Server-sent events with arrival timestamps. Each chunk read from the body is stamped the moment it
// is handed over, before any decoding or parsing; every event the chunk completes (the blank line
// that ends it arrived in that chunk) carries that stamp. eventsource-parser does the framing:
// events split across reads, several per read, comments, CR/LF variants.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface TimedEvent {
  /** performance.now() ms when the read completing this event returned. */
  readonly time: number;
  readonly event: string | undefined;
  readonly data: string;
}

/**
 * Yields the stream's events in order with their arrival stamps; comments are dropped. `body`: a
 * Node response (node:http) or a WHATWG stream, both async iterables of byte chunks.
 */
export async function* timedEvents(
  body: AsyncIterable<Uint8Array>,
  now: () => number = () => performance.now(),
): AsyncGenerator<TimedEvent> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => pending.push(e) });
  const decoder = new TextDecoder();
  for await (const value of body) {
    const time = now();
    parser.feed(decoder.decode(value, { stream: true }));
    while (pending.length) {
      const e = pending.shift()!;
      yield { time, event: e.event, data: e.data };
    }
  }
  // A final event without its blank line is incomplete by the SSE rules and is not dispatched.
}
