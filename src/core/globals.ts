/**
 * Global dialplan variables (`[globals]` in extensions.conf, `Set(GLOBAL(x)=…)`, `POST /asterisk/variable`).
 * Names are case-sensitive, as in Asterisk.
 */

export class GlobalVariables {
  readonly #vars = new Map<string, string>();

  get(name: string): string | undefined {
    return this.#vars.get(name);
  }

  /** Sets a variable; an empty value keeps it set to '' (Asterisk unsets only through dialplan). */
  set(name: string, value: string): void {
    this.#vars.set(name, value);
  }

  delete(name: string): boolean {
    return this.#vars.delete(name);
  }

  entries(): [string, string][] {
    return [...this.#vars.entries()];
  }
}
