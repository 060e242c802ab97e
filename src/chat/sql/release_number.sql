-- Lets the brand's ($1) number go; returns it, or null when the brand had none (V13).
select app.release_whatsapp_number($1::uuid)
