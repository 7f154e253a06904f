-- 1.4.0: the catalogue and the orders.
create table products (
    id integer primary key,
    name text not null unique,
    price_cents integer not null check (price_cents >= 0)
);
create table orders (
    id integer primary key,
    reference text not null unique,
    product_id integer not null references products (id),
    quantity integer not null check (quantity > 0),
    created_at text not null default (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
insert into products (name, price_cents) values
    ('Green tea, 100 g', 650),
    ('Coffee beans, 250 g', 990),
    ('Ceramic mug', 1200);
