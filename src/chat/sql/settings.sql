select phone_number_id, access_token, persona, tone, languages, default_language, greetings,
       fallbacks, handoff_keywords, app_secret, verify_token
from app.chat_settings
