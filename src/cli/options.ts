/** Option parsers and argument helpers shared by the commands. */

/** A comma-separated option, repeatable: `--roles a,b --roles c` is `[a, b, c]`. */
export function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

/** A repeatable option: `--asset a --asset b` is `[a, b]`. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * A command-line word for a field whose use case checks it against a closed vocabulary (an
 * incident state, an import kind). The use case's schema refuses a word outside it, naming the
 * field and the allowed words, after the caller's authorisation, as on the HTTP API; commander
 * choices would refuse it earlier and in other words, so the word is passed on as it is.
 */
export function checkedByUseCase<T extends string>(word: string): T {
  return word as T;
}
