// The flow of the Python client test, through openapi-fetch with the types openapi-typescript
// made from the live /openapi.json. Type-checked with tsc --strict, then run under Node:
//   node flow.js <base url> <platform key>
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

declare const process: { argv: string[]; exitCode?: number };

type Problem = components["schemas"]["Problem"];
type Code = Problem["code"];

const [baseUrl, platformKey] = process.argv.slice(2);
const JPEG = new Uint8Array([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00,
  0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00,
  ...Array.from({ length: 64 }, (_, i) => i + 1),
  0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00,
  0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x12, 0x34, 0xff, 0x00, 0x56,
  0xff, 0xd9,
]);

function check(ok: boolean, what: string, seen?: unknown): asserts ok {
  if (!ok) throw new Error(`${what}: ${JSON.stringify(seen)}`);
}

function client(key: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });
}

function expectProblem(error: Problem | undefined, code: Code): Problem {
  check(error !== undefined && error.code === code, `expected ${code}`, error);
  return error;
}

async function person(role: "buyer" | "seller", email: string, country: string) {
  const made = await platform.POST("/v1/users", {
    params: { header: { "Idempotency-Key": `ts-user-${email}` } },
    body: { role, name: email.split("@")[0], email, country },
  });
  check(made.data !== undefined && made.data.api_key != null, "user", made.error);
  return { id: made.data.id, key: made.data.api_key };
}

const platform = client(platformKey);
const buyer = await person("buyer", "ts-ann@client.test", "DE");
const seller = await person("seller", "ts-shop@client.test", "CN");
const replay = await platform.POST("/v1/users", {
  params: { header: { "Idempotency-Key": "ts-user-ts-ann@client.test" } },
  body: { role: "buyer", name: "ts-ann", email: "ts-ann@client.test", country: "DE" },
});
check(replay.data?.id === buyer.id, "replayed user", replay.error);
check(replay.response.headers.get("Idempotent-Replayed") === "true", "replay header");
const ann = client(buyer.key);
const shop = client(seller.key);

const draft = {
  buyer_id: buyer.id, seller_id: seller.id, currency: "USD",
  items: [{ sku: "teapot", title: "Porcelain teapot", quantity: 1, unit_price: "40.00" }],
  shipping_fee: "5.00", payment_method: "card" as const,
  ship_to: { country: "DE", city: "Berlin", postcode: "10115" }, promised_delivery_days: 20,
};
const order = await platform.POST("/v1/orders", { body: draft });
check(order.data?.status === "awaiting_payment", "order", order.error);
const id = order.data.id;
const path = { params: { path: { order_id: id } } };
const paid = await platform.POST("/v1/orders/{order_id}/pay", { ...path, body: {} });
check(paid.data?.status === "paid", "pay", paid.error);
const shipped = await shop.POST("/v1/orders/{order_id}/ship", {
  ...path, body: { carrier: "DHL", tracking_number: "T-9" },
});
check(shipped.data?.status === "shipped", "ship", shipped.error);
const moved = await platform.POST("/v1/sandbox/clock/advance", { body: { days: 5 } });
check(moved.data !== undefined, "clock", moved.error);

const photo = await ann.POST("/v1/files", {
  body: { file: "broken.jpg", purpose: "dispute_evidence" },
  bodySerializer(body) {
    const form = new FormData();
    form.append("purpose", body.purpose);
    form.append("file", new Blob([JPEG], { type: "image/jpeg" }), body.file);
    return form;
  },
});
check(photo.data !== undefined, "upload", photo.error);
const opened = await ann.POST("/v1/orders/{order_id}/disputes", {
  ...path,
  body: { reason: "damaged", item_received: true, requested_refund: "45.00",
          description: "The spout is broken.", evidence_ids: [photo.data.id] },
});
check(opened.data?.reason === "damaged", "dispute", opened.error);
const dispute = { params: { path: { dispute_id: opened.data.id } } };
const offered = await shop.POST("/v1/disputes/{dispute_id}/offers", {
  ...dispute, body: { refund_amount: "20.00" },
});
check(offered.data !== undefined && offered.data.offers.length === 1, "offer", offered.error);
const accepted = await ann.POST("/v1/disputes/{dispute_id}/accept", { ...dispute, body: {} });
check(accepted.data?.status === "resolved", "accept", accepted.error);
const refunds = await ann.GET("/v1/orders/{order_id}/refunds", path);
check(refunds.data?.data.map((r) => r.amount).join() === "20.00", "refunds", refunds.error);

const bad = await platform.POST("/v1/orders", { body: { ...draft, shipping_fee: "5.001" } });
check(expectProblem(bad.error, "invalid_amount").field === "shipping_fee", "field", bad.error);
const missing = await ann.GET("/v1/orders/{order_id}", { params: { path: { order_id: "ord_x" } } });
check(expectProblem(missing.error, "not_found").instance.startsWith("urn:request:"), "instance");
console.log("typescript flow: ok");
