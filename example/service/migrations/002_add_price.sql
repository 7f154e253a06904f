-- v1.0.1: items get a price. Additive only, so v1.0.0 keeps working on this schema.
alter table items add column price numeric(10, 2) not null default 0;
