import { HttpService } from '@nestjs/axios';
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';

@Controller('orders')
export class OrdersController {
  // Explicit @Inject: works without emitDecoratorMetadata (tsx, esbuild, swc).
  constructor(@Inject(HttpService) private readonly orders: HttpService) {}

  @Get(':id')
  async get(@Param('id') id: string): Promise<{ id: string; calledAs: string }> {
    const { data } = await firstValueFrom(this.orders.get<{ client_id: string }>(`/orders/${id}`));
    return { id, calledAs: data.client_id };
  }
}
