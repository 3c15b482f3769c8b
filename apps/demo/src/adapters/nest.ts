import 'reflect-metadata';
import { ForgeHttpModule, ForgeModule } from '@forge/nest';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, Inject, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { firstValueFrom } from 'rxjs';
import { orderServiceCredentials } from './provider.js';
import type { DemoAdapter } from './types.js';

@Controller('orders')
class OrdersController {
  constructor(@Inject(HttpService) private readonly orders: HttpService) {}

  @Get(':id')
  async get(@Param('id') id: string): Promise<unknown> {
    return (await firstValueFrom(this.orders.get(`/orders/${id}`))).data;
  }
}

/** A Nest app on the Express platform; each demo request goes through its controller to the API. */
export const nestAdapter: DemoAdapter = {
  name: 'nest',
  async start(servers) {
    @Module({
      imports: [
        ForgeModule.forRoot({
          services: {
            orders: { provider: orderServiceCredentials(servers), baseURL: servers.api.url },
          },
        }),
        ForgeHttpModule.register({ service: 'orders', timeout: 10_000 }),
      ],
      controllers: [OrdersController],
    })
    class DemoModule {}

    const app = await NestFactory.create(DemoModule, new ExpressAdapter(), { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    return {
      call: async (i) => {
        const response = await fetch(`${url}/orders/${i}`);
        await response.body?.cancel();
        return response.status;
      },
      close: () => app.close(),
    };
  },
};
