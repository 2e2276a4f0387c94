export interface Product {
  sku: string;
  name: string;
  priceCents: number;
}

/** A fixed catalogue: the sample is about events, not about product management. */
export const CATALOG: ReadonlyMap<string, Product> = new Map(
  [
    { sku: 'mug-001', name: 'Enamel mug', priceCents: 1490 },
    { sku: 'tee-002', name: 'Organic T-shirt', priceCents: 2500 },
    { sku: 'cap-003', name: 'Canvas cap', priceCents: 1900 },
    { sku: 'bag-004', name: 'Tote bag', priceCents: 1200 },
  ].map((product) => [product.sku, product]),
);
