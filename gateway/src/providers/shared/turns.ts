/**
 * Builds a provider's turn list from OpenAI messages. Anthropic, Bedrock Converse and Gemini all
 * require alternating roles (tool results must sit in the one user turn after the tool call), so
 * consecutive items for the same role are merged into one turn; empty turns are dropped.
 */
export class TurnList<T> {
  readonly turns: Array<{ role: string; items: T[] }> = [];

  push(role: string, items: T[]): void {
    if (items.length === 0) return;
    const last = this.turns[this.turns.length - 1];
    if (last && last.role === role) last.items.push(...items);
    else this.turns.push({ role, items });
  }
}
