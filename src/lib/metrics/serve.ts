/**
 * Answering one scrape over HTTP: the format the scraper asked for, gzip when it takes
 * it (Prometheus always does; the text of a large fleet shrinks about tenfold, and zlib
 * works off the event loop), the series written chunk by chunk with a yield to the
 * event loop every few milliseconds, so a scrape of a few hundred thousand series does
 * not hold up the polls, then the pack's health. Plain Node http objects: the Node-RED
 * adapter mounts it on Node-RED's HTTP node server.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { createGzip } from 'zlib';
import type { HealthFamily } from '../common/health';
import { acceptsGzip, chooseFormat, exposition, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, type ExpositionFormat } from './exposition';
import { healthText } from './health-text';
import type { SeriesStore } from './series-store';

export interface ScrapeSource {
  store: SeriesStore;
  /** Health families to append (the endpoint's own counters, and the pack's when asked for). */
  health(): HealthFamily[];
  now(): number;
}

export interface ScrapeResult {
  format: ExpositionFormat;
  gzip: boolean;
  /** Bytes of exposition text (before compression). */
  bytes: number;
  ms: number;
  /** The client went away before the end. */
  aborted: boolean;
}

/** Longest stretch the writer keeps the event loop before yielding (ms). */
const SLICE_MS = 10;
/** zlib's fastest level: the text is repetitive, level 1 already shrinks it about tenfold. */
const GZIP_LEVEL = 1;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Writes the scrape to `res`; resolves when the answer has been handed to the socket. */
export async function serveScrape(req: IncomingMessage, res: ServerResponse, source: ScrapeSource): Promise<ScrapeResult> {
  const started = performance.now();
  const format = chooseFormat(req.headers.accept);
  const gzip = acceptsGzip(req.headers['accept-encoding'] as string | undefined);
  const result: ScrapeResult = { format, gzip, bytes: 0, ms: 0, aborted: false };
  res.statusCode = 200;
  res.setHeader('Content-Type', format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  if (req.method === 'HEAD') {
    res.end();
    result.ms = performance.now() - started;
    return result;
  }
  if (gzip) res.setHeader('Content-Encoding', 'gzip');

  let closed = false;
  const onClose = () => { closed = true; };
  res.on('close', onClose);
  const out = gzip ? createGzip({ level: GZIP_LEVEL }) : res;
  if (gzip) {
    out.on('error', () => res.destroy());
    out.pipe(res);
  }
  const write = async (text: string): Promise<void> => {
    result.bytes += Buffer.byteLength(text);
    if (!out.write(text) && !closed) await waitForDrain(out, res);
  };
  try {
    let sliceStart = performance.now();
    for (const chunk of exposition(source.store, format, source.now())) {
      if (closed) break;
      await write(chunk);
      if (performance.now() - sliceStart > SLICE_MS) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
    if (!closed) {
      const health = await healthText(source.health(), format);
      await write(format === 'openmetrics' && !health.endsWith('# EOF\n') ? `${health}# EOF\n` : health);
    }
    if (closed) {
      result.aborted = true;
      if (gzip) (out as ReturnType<typeof createGzip>).destroy();
    } else {
      await new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
        out.end();
      });
    }
  } catch (err) {
    result.aborted = true;
    res.destroy(err as Error);
  } finally {
    res.removeListener('close', onClose);
  }
  result.ms = performance.now() - started;
  return result;
}

/** Waits until `stream` takes more, or the response is gone. */
function waitForDrain(stream: NodeJS.WritableStream, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.removeListener('drain', done);
      stream.removeListener('error', done);
      res.removeListener('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('error', done);
    res.once('close', done);
  });
}
