import { Option, Schema, SchemaGetter } from "effect";

type ContextFree = Schema.Top & { readonly DecodingServices: never; readonly EncodingServices: never };

/**
 * An optional field that also accepts `null` on the wire and decodes it as
 * absent: senders such as Python agents often write `"correlation_id": null`
 * for "not set". Encoding omits an absent field, so the wire never sees null.
 */
export const optionalOrNull = <S extends ContextFree>(schema: S) =>
  Schema.optionalKey(Schema.NullOr(schema)).pipe(
    Schema.decodeTo(Schema.optionalKey(Schema.toType(schema)), {
      decode: SchemaGetter.transformOptional((value: Option.Option<S["Type"] | null>) =>
        Option.filter(value, (present): present is S["Type"] => present !== null)
      ),
      encode: SchemaGetter.transformOptional((value: Option.Option<S["Type"]>) => value)
    })
  );
