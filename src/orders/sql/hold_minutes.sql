select coalesce((select hold_minutes from app.brand_settings), 15) as hold_minutes
