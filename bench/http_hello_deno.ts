/**
 * The baseline of the HTTP sample's benchmark: a `Deno.serve` hello server (Deno's own HTTP
 * stack, hyper in Rust) answering every request with the body of `examples/http_server.ts`.
 *
 *   deno run --allow-net=127.0.0.1 bench/http_hello_deno.ts PORT
 *
 * @module
 */
const port = Number(Deno.args[0] ?? 8080);
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => console.error(`Deno.serve on 127.0.0.1:${port}`) },
  () =>
    new Response("Hello, world!\n", { headers: { "content-type": "text/plain; charset=utf-8" } }),
);
