import type { FastifyPluginAsync } from 'fastify';
import websocket from '@fastify/websocket';
import type { WsGateway } from '../ws/gateway.js';

/**
 * GET /ws?token=<bearer>: the agent/supervisor WebSocket (protocol in src/ws/protocol.ts).
 * The token is verified by the auth plugin's onRequest hook; without a valid one the upgrade is refused with 401.
 */
export const wsGatewayRoutes: FastifyPluginAsync<{ gateway: WsGateway }> = async (app, { gateway }) => {
  // @fastify/websocket must be registered once per server; reuse it when the app already has it
  if (!app.hasDecorator('websocketServer')) await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.get('/ws', {
    websocket: true,
    preHandler: app.requireRole('agent', 'supervisor', 'admin'),
  }, (socket, req) => {
    gateway.attach(socket, req.principal!);
  });
};
