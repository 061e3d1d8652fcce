/**
 * The seed's hello-world Stasis application, written with the SDK (`client/`): it registers `hello-world` and,
 * for each channel that the dialplan hands it (`Stasis(hello-world)`), answers, plays `sound:hello-world` and
 * hangs up when the playback is over. It uses nothing Ariadne-only, so it runs against Asterisk unchanged.
 *
 * Run it by itself against any ARI server (Ariadne or Asterisk):
 *   ARI_URL=http://127.0.0.1:8088 ARI_USERNAME=asterisk ARI_PASSWORD=… npx node examples/hello-world/app.ts
 * or attached to Ariadne: `ariadne --app examples/hello-world/app.ts` (what `npm start` does).
 */

import { AriError, connect, type Ari } from '../../client/index.ts';

export interface HelloWorldOptions {
  url?: string;
  username?: string;
  password?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export default async function helloWorld(opts: HelloWorldOptions = {}): Promise<void> {
  const url = opts.url ?? process.env.ARI_URL ?? 'http://127.0.0.1:8088';
  const username = opts.username ?? process.env.ARI_USERNAME ?? 'asterisk';
  const password = opts.password ?? process.env.ARI_PASSWORD ?? 'change_me_to_a_strong_password';
  const log = opts.log ?? ((line: string) => console.log(`[hello-world] ${line}`));
  const signal = opts.signal;

  // The server may still be starting: try until it answers (the SDK reconnects by itself after that).
  let ari: Ari | undefined;
  for (let delay = 500; ari === undefined && !signal?.aborted; delay = Math.min(delay * 2, 5000)) {
    try {
      ari = await connect({ url, username, password, apps: ['hello-world'] });
    } catch (err) {
      if (err instanceof AriError && (err.status === 401 || err.status === 403)) throw err; // wrong credentials
      log(`cannot connect to ${url} (${(err as Error).message}); retrying`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }
  if (ari === undefined) return;
  if (signal?.aborted) return ari.close();
  const client = ari;
  log('registered Stasis application hello-world; call extension 1000 in [from-trunk] to reach it');

  client.on('StasisStart', async (event) => {
    const channel = client.channel(event.channel);
    log(`StasisStart ${event.channel.name}`);
    try {
      await channel.answer();
      const playback = client.playback();
      const finished = playback.once('PlaybackFinished');
      await channel.play({ media: 'sound:hello-world', playbackId: playback.id });
      const { playback: done } = await finished;
      log(`PlaybackFinished on ${channel.id} (${done.state}); hanging up`);
    } catch (err) {
      // A server without playback (or a missing sound) must not leave the caller waiting forever.
      log(`error: ${(err as Error).message}`);
    }
    await channel.hangup().catch(() => undefined); // the caller may have hung up already
  });
  client.on('StasisEnd', (event) => log(`StasisEnd ${event.channel.name}`));

  await new Promise<void>((resolve) => {
    if (signal === undefined) return;
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  client.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ctl = new AbortController();
  process.once('SIGINT', () => ctl.abort());
  await helloWorld({ signal: ctl.signal });
}
