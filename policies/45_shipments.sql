-- Shipments (V25).

-- An order's parcels: recorded by fulfilment staff in the order's transaction, read by staff
-- and by the customer (with the order token). Never changed or deleted once recorded: a parcel
-- that left the warehouse is history. No analytics grant: nothing cross-brand reads them.
call app.isolate_tenant_table('app.shipments', '{{api_role}}');
grant select, insert on app.shipments to {{api_role}};

-- What each parcel carried: written with its shipment, append-only likewise.
call app.isolate_tenant_table('app.shipment_lines', '{{api_role}}');
grant select, insert on app.shipment_lines to {{api_role}};
