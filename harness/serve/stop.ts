// Stop sequences on the detokenized text, as OpenAI applies them: the output ends before the first
// occurrence of any stop string (which is not returned), and text that could still become a stop
// string is held back from the stream until it either does or cannot.

export class StopText {
  private text = '';
  private sent = 0;
  stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  /**
   * Adds a token's text; returns the text that may be sent now ('' when all of it is held back).
   * Unarmed (before min_tokens, as vLLM counts them) the text is neither matched nor held back.
   */
  push(piece: string, armed = true): string {
    if (this.stopped) return '';
    this.text += piece;
    if (!armed) return this.take(this.text.length);
    // A match starts at or after the text already sent: any that began earlier was held back.
    let cut = -1;
    for (const s of this.stops) {
      const at = this.text.indexOf(s, this.sent);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.stopped = true;
      return this.take(cut);
    }
    return this.take(this.text.length - this.heldBack());
  }

  /** The rest of the text once generation ends without a stop string. */
  flush(): string {
    return this.stopped ? '' : this.take(this.text.length);
  }

  /** The output text so far (what has been or will be sent). */
  get output(): string {
    return this.text.slice(0, this.sent);
  }

  /** Length of the longest suffix of the text that is a proper prefix of a stop string. */
  private heldBack(): number {
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, this.text.length - this.sent); k > hold; k--) {
        if (this.text.endsWith(s.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    return hold;
  }

  private take(end: number): string {
    const out = this.text.slice(this.sent, Math.max(this.sent, end));
    this.sent = Math.max(this.sent, end);
    return out;
  }
}
