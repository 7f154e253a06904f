-- 1.5.0: products have a stock level. Additive only (a column with a default), so 1.4.0
-- keeps working on this schema and a code rollback needs no database restore.
alter table products add column stock integer not null default 0 check (stock >= 0);
update products set stock = 25;
