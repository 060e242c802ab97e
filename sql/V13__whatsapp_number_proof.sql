-- A WhatsApp number belongs to the brand that proves it (issue 12). Until now any brand could
-- claim any phone_number_id first come, first served, and Meta's webhook then routed that
-- number's customers into the claiming brand. From here on a number routes only once it is
-- proved: assigned by the company owner, or verified with the Graph API using the brand's own
-- access token (a token reads only the numbers of its own WhatsApp Business Account).

-- How the number was proved: 'owner' (the company owner assigned it) or 'token' (the brand's
-- access token read it from the Graph API). Rows claimed before this migration keep NULL: still
-- held by their brand, but routing nothing until the owner assigns the number or the brand
-- saves it again with its token.
alter table app.whatsapp_numbers
  add column proof text constraint whatsapp_numbers_proof check (proof in ('owner', 'token')),
  add column proved_at timestamptz,
  add constraint whatsapp_numbers_proved_at check ((proof is null) = (proved_at is null));

-- The brand's number lives in app.whatsapp_numbers alone from now on. The old copy here is no
-- longer read or written (binaries from before this migration still read it while a deploy
-- rolls, so it stays until a later migration drops it).
comment on column app.chat_settings.phone_number_id is
  'unused since V13: the brand''s number is its row of app.whatsapp_numbers';

-- The API role writes app.whatsapp_numbers only through these two functions (policies/60_chat.sql
-- grants nothing else but SELECT). Each writes the row of one brand, and only a brand the caller
-- may act for: inside a brand's transaction, that brand alone (with proof 'token', after the
-- service verified the number with the brand's token); outside any brand, only for the company
-- owner or the system (seed, CLI), with proof 'owner'. Brand code therefore cannot write
-- another brand's row, whatever SQL it runs. SECURITY DEFINER (they run as the owner role, which
-- owns the table) with a pinned search_path and schema-qualified names.

-- Whether the transaction may write `brand`'s number: inside a brand's transaction, that brand's
-- alone; outside any brand, the company owner's and the system's.
create function app.may_write_whatsapp_number(brand uuid) returns boolean
  language sql stable
  set search_path = pg_catalog
as $$
  select coalesce(
    case when app.current_tenant() is not null then brand = app.current_tenant()
         else app.current_actor_role() in ('owner', 'system') end,
    false)
$$;

-- Gives `number` to `brand`, proved by `proof`, and lets the brand's previous number go (one
-- number per brand). Returns the brand that holds the number afterwards: `brand`, or another
-- brand that already holds it, in which case nothing changes.
create function app.prove_whatsapp_number(brand uuid, number text, proof text) returns uuid
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
declare
  holder uuid;
begin
  -- A brand proves a number with its token; the owner's word is proof outside any brand.
  if not app.may_write_whatsapp_number(brand)
     or proof is distinct from (case when app.current_tenant() is null then 'owner' else 'token' end) then
    raise exception 'this transaction may not write the WhatsApp number of brand %', brand
      using errcode = 'insufficient_privilege';
  end if;
  -- A block with an exception handler is a subtransaction: when another brand holds the number,
  -- the delete of this brand's previous number is undone with the failed claim.
  begin
    delete from app.whatsapp_numbers w where w.tenant_id = brand and w.phone_number_id <> number;
    insert into app.whatsapp_numbers as w (phone_number_id, tenant_id, proof, proved_at)
    values (number, brand, proof, now())
    on conflict (phone_number_id) do update
      set proof = excluded.proof, proved_at = excluded.proved_at
      where w.tenant_id = excluded.tenant_id;
    if not found then
      raise exception using errcode = 'unique_violation';
    end if;
    return brand;
  exception when unique_violation then
    select w.tenant_id into holder from app.whatsapp_numbers w where w.phone_number_id = number;
    return holder;
  end;
end
$$;

-- Lets `brand`'s number go (it routes nothing from then on). Returns the number, if it had one.
-- A brand may let its own number go; outside any brand, the company owner or the system may.
create function app.release_whatsapp_number(brand uuid) returns text
  language plpgsql volatile security definer
  set search_path = pg_catalog
as $$
declare
  released text;
begin
  if not app.may_write_whatsapp_number(brand) then
    raise exception 'this transaction may not release the WhatsApp number of brand %', brand
      using errcode = 'insufficient_privilege';
  end if;
  delete from app.whatsapp_numbers w where w.tenant_id = brand returning w.phone_number_id into released;
  return released;
end
$$;
