// What every example's serve.ts does: serve `app` on port 8000 (PORT, HOST and ENGINE
// override) and close gracefully on SIGINT/SIGTERM.
import { serveFast, type App, type EngineName } from 'tsgi';

export async function serveExample(name: string, app: App): Promise<void> {
  const server = await serveFast(app, {
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 8000),
    engine: (process.env.ENGINE ?? 'auto') as EngineName | 'auto',
  });
  console.log(`tsgi: serving examples/${name} on http://${server.host}:${server.port}/ (engine ${server.engine})`);
  const stop = (): void => { void server.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
