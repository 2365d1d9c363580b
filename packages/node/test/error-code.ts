/** Test helpers: the error `code` of a failed call, to compare with `SomeError.code`. */

/** The `code` of what `fn` throws (`undefined` when it does not throw). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

/** The `code` of `promise`'s rejection (the error as text when it has none), or `'resolved'`. */
export async function codeOfSettled(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** The `code` of `promise`'s rejection and the node that answered it (`origin`), or `'resolved'`. */
export async function rejection(promise: Promise<unknown>): Promise<{ code: string; origin: string | undefined }> {
  try {
    await promise;
    return { code: 'resolved', origin: undefined };
  } catch (error) {
    const e = error as { code?: string; origin?: string };
    return { code: e.code ?? String(error), origin: e.origin };
  }
}
