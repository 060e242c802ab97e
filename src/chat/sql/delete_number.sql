delete from app.whatsapp_numbers where tenant_id = app.current_tenant()
