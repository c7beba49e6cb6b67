// One load spread over several generation sessions (a multi-node vLLM/furiosa-llm deployment
// measured as one service): each request goes to the member the policy picks —
//  - round-robin: in turn, whatever each member has in flight;
//  - least-outstanding: the member with the fewest requests in flight (ties in turn), so a slower
//    member gets fewer requests.
// The caller acquires a member before a request and releases it when the request has settled.
import type { GenerationSession } from '../../devices/types.js';

export type Balance = 'round-robin' | 'least-outstanding';
export const BALANCES: readonly Balance[] = ['round-robin', 'least-outstanding'];

export interface PoolMember {
  /** The device spec (reports name each member by it). */
  readonly id: string;
  readonly session: GenerationSession;
}

export class SessionPool {
  private next = 0;
  private readonly outstanding: number[];
  constructor(
    readonly members: readonly PoolMember[],
    readonly balance: Balance,
  ) {
    if (members.length === 0) throw new Error('a session pool needs at least one member');
    this.outstanding = members.map(() => 0);
  }

  /** Picks the member for the next request and counts it in flight; returns its index. */
  acquire(): number {
    const n = this.members.length;
    let pick = this.next % n;
    if (this.balance === 'least-outstanding') {
      // Scan from the round-robin pointer so ties rotate instead of always landing on member 0.
      for (let k = 0; k < n; k++) {
        const i = (this.next + k) % n;
        if (this.outstanding[i]! < this.outstanding[pick]!) pick = i;
      }
    }
    this.next = (pick + 1) % n;
    this.outstanding[pick]! += 1;
    return pick;
  }

  release(index: number): void {
    this.outstanding[index] = Math.max(0, this.outstanding[index]! - 1);
  }

  /** Requests in flight per member (for tests and progress). */
  inFlight(): readonly number[] {
    return [...this.outstanding];
  }
}
