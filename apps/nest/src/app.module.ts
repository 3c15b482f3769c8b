import { ForgeHttpModule, ForgeModule } from '@forge/nest';
import { type DynamicModule, Module } from '@nestjs/common';
import { OrdersController } from './orders.controller.js';

/** Where the example's token and API servers are; in production this comes from ConfigService. */
export interface ExampleConfig {
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly ordersURL: string;
}

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes.
export class AppModule {
  static register(config: ExampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ForgeModule.forRoot({
          services: {
            orders: {
              provider: {
                type: 'client_credentials',
                clientId: config.clientId,
                clientSecret: config.clientSecret,
                tokenEndpoint: config.tokenEndpoint,
              },
              baseURL: config.ordersURL,
            },
          },
        }),
        ForgeHttpModule.register({ service: 'orders', timeout: 5_000 }),
      ],
      controllers: [OrdersController],
    };
  }
}
