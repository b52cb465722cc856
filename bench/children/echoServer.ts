// The baseline of the HTTP benchmark: a bare Fastify app (same Fastify, same JSON body parsing)
// whose POST /transactions replies 201 with the body it got. Prints its address.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/transactions', async (request, reply) => reply.code(201).send(request.body));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`echo listening on ${address}`);
const stop = (): void => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
