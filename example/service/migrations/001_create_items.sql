-- v1.0.0: the items table.
create table items (
    id serial primary key,
    name text not null,
    created_at timestamptz not null default now()
);
insert into items (name) values ('first item'), ('second item');
