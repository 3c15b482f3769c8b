import type { AuthServer, ResourceServer } from '@forge/testkit';

/** The servers every adapter runs against. */
export interface DemoServers {
  readonly auth: AuthServer;
  readonly api: ResourceServer;
}

/** One adapter, set up and ready for load: `call(i)` resolves to the HTTP status it got. */
export interface RunningAdapter {
  call(index: number): Promise<number>;
  close(): Promise<void>;
}

/** A named adapter of the demo. */
export interface DemoAdapter {
  readonly name: string;
  start(servers: DemoServers): Promise<RunningAdapter>;
}
