import type { MemberView } from '../cluster-view.js';
import { ConfigError, NoCapacityError, RoutingError } from '../errors.js';
import { compileFieldPath, readRoutingKey } from './field-path.js';
import { chooseByKey } from './rendezvous.js';
import { RoutingKind } from './routing-kind.js';
import type { RoutingStrategy } from './strategy.js';

/**
 * How `pin` maps the value at its field to a tag: one tag for every value, a table from value to tag, or (left
 * out) the value itself is the tag (`pin('protocol')`: protocol `aave` goes to the shards tagged `aave`).
 */
export type PinTags = string | Readonly<Record<string, string>>;

/**
 * Routes to the shards tagged for the value at `field` (a specialization: `gpu`, `eu`, `aave`). The tag is
 * `tags` itself (a string), `tags[value]` (a table), or the value (no `tags`). When several shards carry the tag,
 * the value picks one by rendezvous hashing (see `chooseByKey`), so a key stays on one tagged shard while that
 * shard is healthy; overloaded tagged shards are skipped.
 *
 * ```
 *   pin('model', 'gpu')                       every model -> a shard tagged gpu
 *   pin('protocol', { aave: 'defi', uni: 'defi', cex: 'cex' })   aave -> defi shards; unknown -> RoutingError
 *   pin('protocol')                           protocol 'aave' -> shards tagged aave
 * ```
 * @throws ConfigError (at definition) when `field` is not a dotted path, or a tag is empty.
 */
export function pin(field: string, tags?: PinTags): RoutingStrategy {
  const path = compileFieldPath(field);
  const table = checkTags(tags);
  const name = typeof tags === 'string' ? `pin(${field}, ${tags})` : `pin(${field})`;
  const tagOf = (message: unknown): { key: string; tag: string } => {
    const key = readRoutingKey(message, path, name);
    if (typeof tags === 'string') return { key, tag: tags };
    if (table === undefined) return { key, tag: key };
    const tag = Object.hasOwn(table, key) ? table[key] : undefined;
    if (tag === undefined) throw new RoutingError({ target: name, field, reason: `no tag is declared for '${key}'` });
    return { key, tag };
  };
  return {
    name,
    kind: RoutingKind.Pin,
    field: path,
    canServe: (message: unknown, member: MemberView) => member.tags.includes(tagOf(message).tag),
    initialState: () => undefined,
    route(message, view) {
      const { key, tag } = tagOf(message);
      return chooseTagged(view.byTag.get(tag), tag, key, name);
    },
  };
}

/**
 * One of the shards tagged `tag`, picked by `key` (rendezvous). Shared by `pin` and `range`.
 * @throws NoCapacityError naming the strategy and the tag when no shard carries it or all that do are overloaded.
 */
export function chooseTagged(
  tagged: readonly MemberView[] | undefined,
  tag: string,
  key: string,
  name: string,
): string {
  if (tagged === undefined) throw new NoCapacityError({ target: name, reason: `no shard is tagged '${tag}'` });
  const chosen = chooseByKey(tagged, key);
  if (chosen === undefined) {
    throw new NoCapacityError({ target: name, reason: `all ${tagged.length} shards tagged '${tag}' are overloaded` });
  }
  return chosen.id;
}

function checkTags(tags: PinTags | undefined): Readonly<Record<string, string>> | undefined {
  const fail = (reason: string) => new ConfigError({ subject: 'routing', field: 'tag', reason });
  if (tags === undefined) return undefined;
  if (typeof tags === 'string') {
    if (tags.length === 0) throw fail('pin needs a non-empty tag');
    return undefined;
  }
  if (typeof tags !== 'object' || tags === null) throw fail('pin takes a tag or a table of value -> tag');
  for (const [value, tag] of Object.entries(tags)) {
    if (typeof tag !== 'string' || tag.length === 0) throw fail(`the tag for '${value}' is empty`);
  }
  return Object.freeze({ ...tags });
}
