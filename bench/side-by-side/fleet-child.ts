// One process of the fleet scenario: builds the library's client from the
// environment the parent passes, then on each "go" sends a burst of concurrent
// requests and reports how many failed.
import { type ClientEnv, libraryByName } from './clients.js';
import { burst } from './harness.js';

type Message = { readonly type: 'go'; readonly count: number } | { readonly type: 'exit' };

const [name, envJson] = process.argv.slice(2);
const env = JSON.parse(envJson ?? '{}') as ClientEnv;
const client = await libraryByName(name ?? '').create(env);

process.on('message', (message: Message) => {
  if (message.type === 'go') {
    void burst(client, message.count).then(({ failures }) =>
      process.send?.({ type: 'done', failures }),
    );
  } else {
    // Idle keep-alive sockets and peers' refresh timers would keep the process alive.
    void client.close().then(() => process.exit(0));
  }
});
process.send?.({ type: 'ready' });
