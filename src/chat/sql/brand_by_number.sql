select tenant_id from app.whatsapp_numbers where phone_number_id = $1
