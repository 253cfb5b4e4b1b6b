/**
 * A dynamic resource that does nothing: the cheapest thing the real engine can manage. Used to
 * prove the engine harness and, in benchmarks, as the "engine floor" (the cost of the CLI, the
 * engine and the dynamic-provider plugin with no service behind them).
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";

/** The type token the engine records for {@link Noop} resources. */
export const NOOP_TYPE = "pulumi-nodejs:dynamic/test:Noop";

/** Inputs of {@link Noop}. */
export interface NoopArgs {
  /** Any value; changing it is an in-place update. */
  value: pulumi.Input<string>;
  /** Optional key; changing it forces a replacement. */
  key?: pulumi.Input<string>;
}

interface NoopProps {
  value: string;
  key?: string;
}

/**
 * The provider. It is captured by value when the resource is serialized, so it must stay
 * self-contained: no imports, no closures over module state.
 */
const noopProvider: pulumi.dynamic.ResourceProvider<NoopProps, NoopProps> = {
  async create(inputs: NoopProps): Promise<pulumi.dynamic.CreateResult<NoopProps>> {
    const id = `noop-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    return { id, outs: { ...inputs } };
  },
  async diff(_id: string, olds: NoopProps, news: NoopProps): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (olds.key ?? "") !== (news.key ?? "") ? ["key"] : [];
    const changed = olds.value !== news.value || replaces.length > 0;
    return { changes: changed, replaces, deleteBeforeReplace: false };
  },
  async update(
    _id: string,
    _olds: NoopProps,
    news: NoopProps,
  ): Promise<pulumi.dynamic.UpdateResult<NoopProps>> {
    return { outs: { ...news } };
  },
  async read(id: string, props?: NoopProps): Promise<pulumi.dynamic.ReadResult<NoopProps>> {
    return { id, props };
  },
  async delete(): Promise<void> {
    // nothing to delete
  },
};

/** A resource whose create/update/delete do nothing; see the module comment. */
export class Noop extends pulumi.dynamic.Resource {
  /** The value given as input. */
  declare public readonly value: pulumi.Output<string>;
  /** The key given as input, if any. */
  declare public readonly key: pulumi.Output<string | undefined>;

  /**
   * @param name logical name
   * @param args inputs
   * @param opts resource options
   */
  constructor(name: string, args: NoopArgs, opts?: pulumi.CustomResourceOptions) {
    super(noopProvider, name, { value: args.value, key: args.key }, opts, "test", "Noop");
  }
}
