import express from 'express';

// The benchmark's ceiling: bare Express (the gateway's own copy, so the same version)
// answering a JSON body shaped like an Order, with nothing else on the path. Every
// target is a ratio to what this server reaches in the same run.

const order = {
  id: '0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  orderNumber: 'P-20260131-7K3Q9X2M',
  orderType: 'PURCHASE',
  status: 'PENDING',
  productType: 'GOLD_9999',
  quantity: '10.50',
  pricePerGram: '105000.00',
  totalPrice: '1102500.00',
  currency: 'KRW',
  deliveryAddress: '123 Teheran-ro, Gangnam-gu, Seoul',
  recipientName: 'Kim Minji',
  contactNumber: '+82 10-1234-5678',
  postalCode: '06236',
  userId: '0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a00',
  createdAt: '2026-01-31T23:10:00.000Z',
  updatedAt: '2026-01-31T23:10:00.000Z',
  cancelledAt: null,
  statusHistory: [
    {
      from: null,
      to: 'PENDING',
      changedBy: '0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a00',
      changedAt: '2026-01-31T23:10:00.000Z',
    },
  ],
};

const app = express();
app.get('/orders/:orderId', (req, res) => {
  res.json({ ...order, id: req.params.orderId });
});
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});

const port = Number(process.env.CEILING_PORT ?? 0);
const server = app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
