/**
 * Whether `ASYNCIO_DEBUG=1` asks for debug mode, read only where the runtime
 * allows it without a prompt (Python's `PYTHONASYNCIODEBUG`).
 */
export function debugFromEnvironment(): boolean {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno?.permissions?.querySync === undefined) return false;
  try {
    const status = deno.permissions.querySync({ name: "env", variable: "ASYNCIO_DEBUG" });
    if (status.state !== "granted") return false;
    const value = deno.env.get("ASYNCIO_DEBUG");
    return value !== undefined && value !== "" && value !== "0";
  } catch {
    return false;
  }
}
