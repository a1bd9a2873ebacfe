// The floor of every comparison: Koa answering a small JSON body, nothing else.
import Koa from 'koa';
import { listen } from './listen.js';

const app = new Koa();
app.use(function hello(ctx) {
  ctx.body = { hello: 'world' };
});
listen(app);
