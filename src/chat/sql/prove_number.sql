-- Gives the number ($2) to the brand ($1) with its proof ($3) and lets the brand's previous
-- number go; returns the brand holding the number afterwards (another brand's id: nothing
-- changed). The function refuses a brand other than the transaction's, and 'owner' proof inside
-- a brand's transaction (V13).
select app.prove_whatsapp_number($1::uuid, $2::text, $3::text)
