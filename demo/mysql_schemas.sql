-- The article's source table (upstream README, "Prepare MySQL data source"): eight varchar
-- columns, order_id the primary key. IF NOT EXISTS so `make demo` can run again on the same
-- server; sluice_demo.prepare_table() empties the table between runs.
CREATE DATABASE IF NOT EXISTS brazillian_ecommerce;

USE brazillian_ecommerce;

CREATE TABLE IF NOT EXISTS olist_orders_dataset (
    order_id varchar(32),
    customer_id varchar(32),
    order_status varchar(16),
    order_purchase_timestamp varchar(32),
    order_approved_at varchar(32),
    order_delivered_carrier_date varchar(32),
    order_delivered_customer_date varchar(32),
    order_estimated_delivery_date varchar(32),
    PRIMARY KEY (order_id)
);
