/** Where the `DateTimeFormat` constructor is looked up: `Intl`, or a stand-in in specs. */
export interface DateFormats {
  DateTimeFormat: typeof Intl.DateTimeFormat;
}

type Formatter = Intl.DateTimeFormat;

/**
 * Until the answered function is called, `formats.DateTimeFormat` makes formatters that build
 * the real one when they are first used (format, formatToParts, formatRange…, resolvedOptions).
 *
 * Why: the first real formatter a process builds loads ICU's locale and calendar data, 8 MiB of
 * RSS in an empty Node process. @nestjs/common builds two as it loads, for the console logger
 * that Gantry replaces with pino, so without this every gateway carried those pages unused
 * (idle RSS 131 → 120 MiB with it). A deferred formatter is `instanceof` the real constructor;
 * what it cannot do is fail in the constructor on bad locales or options: that error comes with
 * the first use instead.
 */
export function deferDateFormats(formats: DateFormats = Intl): () => void {
  const real = formats.DateTimeFormat;
  const deferred = function DateTimeFormat(locales?: Intl.LocalesArgument, options?: Intl.DateTimeFormatOptions): Formatter {
    let built: Formatter | undefined;
    const formatter = (): Formatter => (built ??= new real(locales, options));
    // Own properties, defined rather than assigned: on the prototype, `format` is a getter.
    return Object.create(real.prototype, {
      format: { value: (date?: Date | number) => formatter().format(date) },
      formatToParts: { value: (date?: Date | number) => formatter().formatToParts(date) },
      formatRange: { value: (start: Date | number, end: Date | number) => formatter().formatRange(start, end) },
      formatRangeToParts: { value: (start: Date | number, end: Date | number) => formatter().formatRangeToParts(start, end) },
      resolvedOptions: { value: () => formatter().resolvedOptions() },
    }) as Formatter;
  };
  deferred.prototype = real.prototype;
  deferred.supportedLocalesOf = real.supportedLocalesOf;
  formats.DateTimeFormat = deferred as unknown as typeof Intl.DateTimeFormat;
  return () => {
    formats.DateTimeFormat = real;
  };
}
