/**
 * The seed's hello-world Stasis application: it registers `hello-world` on the events WebSocket and, for each
 * channel that the dialplan hands it (`Stasis(hello-world)`), answers, plays `sound:hello-world` and hangs up.
 *
 * Run it by itself against any ARI server (Ariadne or Asterisk):
 *   ARI_URL=http://127.0.0.1:8088 ARI_USERNAME=asterisk ARI_PASSWORD=… npx node examples/hello-world/app.ts
 * or attached to Ariadne: `ariadne --app examples/hello-world/app.ts` (what `npm start` does).
 */

interface StasisEvent {
  type: string;
  channel?: { id: string; name: string };
  playback?: { id: string; target_uri: string };
}

export interface HelloWorldOptions {
  url?: string;
  username?: string;
  password?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export default async function helloWorld(opts: HelloWorldOptions = {}): Promise<void> {
  const base = (opts.url ?? process.env.ARI_URL ?? 'http://127.0.0.1:8088').replace(/\/+$/, '');
  const user = opts.username ?? process.env.ARI_USERNAME ?? 'asterisk';
  const pass = opts.password ?? process.env.ARI_PASSWORD ?? 'change_me_to_a_strong_password';
  const log = opts.log ?? ((line: string) => console.log(`[hello-world] ${line}`));
  const auth = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

  const ari = async (method: string, path: string): Promise<Response> => {
    const res = await fetch(`${base}/ari${path}`, { method, headers: { authorization: auth } });
    if (!res.ok) log(`${method} ${path} -> ${res.status} ${await res.text()}`);
    return res;
  };

  const wsUrl = `${base.replace(/^http/, 'ws')}/ari/events?app=hello-world&api_key=${encodeURIComponent(`${user}:${pass}`)}`;
  let delay = 500;
  while (!opts.signal?.aborted) {
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(wsUrl);
      const onAbort = () => ws.close();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      ws.onopen = () => {
        delay = 500;
        log('registered Stasis application hello-world; call extension 1000 in [from-trunk] to reach it');
      };
      ws.onmessage = (msg) => {
        const event = JSON.parse(String(msg.data)) as StasisEvent;
        void handle(event).catch((err: unknown) => log(`error: ${(err as Error).message}`));
      };
      ws.onclose = () => {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      ws.onerror = () => undefined;
    });
    if (opts.signal?.aborted) break;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }

  async function handle(event: StasisEvent): Promise<void> {
    if (event.type === 'StasisStart' && event.channel) {
      const id = encodeURIComponent(event.channel.id);
      log(`StasisStart ${event.channel.name}`);
      await ari('POST', `/channels/${id}/answer`);
      const played = await ari('POST', `/channels/${id}/play?media=sound:hello-world`);
      // A server without playback (or a missing sound) must not leave the caller waiting forever.
      if (!played.ok) await ari('DELETE', `/channels/${id}`);
    } else if (event.type === 'PlaybackFinished' && event.playback) {
      const channelId = event.playback.target_uri.replace(/^channel:/, '');
      log(`PlaybackFinished on ${channelId}; hanging up`);
      await ari('DELETE', `/channels/${encodeURIComponent(channelId)}`);
    } else if (event.type === 'StasisEnd' && event.channel) {
      log(`StasisEnd ${event.channel.name}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ctl = new AbortController();
  process.once('SIGINT', () => ctl.abort());
  await helloWorld({ signal: ctl.signal });
}
