import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { paymentInputSchema, type PaymentInput } from './payment-schema.js';

export interface CsvRowError {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  message: string;
}

export type CsvRow = { line: number; input: PaymentInput } | { error: CsvRowError };

/** Header aliases -> field names. */
const COLUMNS: Record<string, keyof PaymentInput> = {
  account: 'account', account_no: 'account', customer: 'customer', name: 'customer', phone: 'phone',
  amount: 'amount', currency: 'currency', due_date: 'dueDate', duedate: 'dueDate', due: 'dueDate',
  timezone: 'timezone', tz: 'timezone', time_zone: 'timezone', status: 'status',
};
const REQUIRED: (keyof PaymentInput)[] = ['account', 'customer', 'phone', 'amount', 'currency', 'dueDate', 'timezone'];

/**
 * Streams a payments CSV: rows that parse come out as inputs, bad rows (malformed CSV, missing or invalid
 * fields) as errors with their line number, so one bad row never stops the import.
 */
export async function* parsePaymentCsv(source: Readable | string, opts: { maxRows?: number } = {}): AsyncGenerator<CsvRow> {
  const maxRows = opts.maxRows ?? 200_000;
  let rows = 0;
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, skip_records_with_error: true });
  const skipped: CsvRowError[] = [];
  const skippedLines = new Set<number>();
  // csv-parse may report one malformed line more than once (one per bad quote): keep the first.
  parser.on('skip', (err: Error & { lines?: number }) => {
    const line = err.lines ?? 0;
    if (skippedLines.has(line)) return;
    skippedLines.add(line);
    skipped.push({ line, message: err.message });
  });
  const input = typeof source === 'string' ? Readable.from([source]) : source;
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let header: (keyof PaymentInput | null)[] | null = null;
  for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    while (skipped.length) yield { error: skipped.shift()! };
    const line = rec.info.lines;
    if (!header) {
      header = rec.record.map((h) => COLUMNS[h.toLowerCase().replace(/[\s-]+/g, '_')] ?? null);
      const missing = REQUIRED.filter((r) => !header!.includes(r));
      if (missing.length) {
        yield { error: { line, message: `header lacks ${missing.join(', ')}` } };
        return;
      }
      continue;
    }
    if (++rows > maxRows) {
      // A bound on one request's work; split bigger files.
      yield { error: { line, message: `more than ${maxRows} rows: the rest of the file was not imported` } };
      parser.destroy();
      input.destroy();
      return;
    }
    const raw: Record<string, unknown> = {};
    header.forEach((f, i) => {
      if (f && rec.record[i] !== undefined && rec.record[i] !== '') raw[f] = rec.record[i];
    });
    if (typeof raw.amount === 'string') raw.amount = Number(raw.amount.replace(/,/g, ''));
    if (typeof raw.currency === 'string') raw.currency = raw.currency.toUpperCase();
    if (typeof raw.status === 'string') raw.status = raw.status.toLowerCase();
    const r = paymentInputSchema.safeParse(raw);
    if (!r.success) {
      yield { error: { line, message: r.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ') } };
      continue;
    }
    yield { line, input: r.data };
  }
  while (skipped.length) yield { error: skipped.shift()! };
}
