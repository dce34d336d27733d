-- The yudao CRM tables the bundled mapping reads, written for these tests from the public
-- ruoyi-vue-pro schema (MySQL DDL of crm_* and system_users), trimmed to the columns that
-- matter and in SQL that SQLite and PostgreSQL both accept (bit(1) -> SMALLINT).
CREATE TABLE system_users (
  id BIGINT PRIMARY KEY, username VARCHAR(30) NOT NULL, nickname VARCHAR(30) NOT NULL,
  dept_id BIGINT, status SMALLINT NOT NULL DEFAULT 0,
  create_time TIMESTAMP NOT NULL, update_time TIMESTAMP NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0, tenant_id BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE crm_customer (
  id BIGINT PRIMARY KEY, name VARCHAR(255), follow_up_status SMALLINT NOT NULL DEFAULT 0,
  contact_last_time TIMESTAMP, owner_user_id BIGINT, owner_time TIMESTAMP NOT NULL,
  lock_status SMALLINT NOT NULL DEFAULT 0, deal_status SMALLINT NOT NULL DEFAULT 0,
  area_id BIGINT, industry_id INTEGER, level INTEGER, source INTEGER,
  creator VARCHAR(64) DEFAULT '', create_time TIMESTAMP NOT NULL, update_time TIMESTAMP NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0, tenant_id BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE crm_contact (
  id BIGINT PRIMARY KEY, name VARCHAR(128), customer_id BIGINT,
  create_time TIMESTAMP, deleted SMALLINT NOT NULL DEFAULT 0, tenant_id BIGINT
);
CREATE TABLE crm_business (
  id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, customer_id BIGINT NOT NULL,
  owner_user_id BIGINT, end_status SMALLINT, total_price NUMERIC(24, 6),
  creator VARCHAR(64) NOT NULL DEFAULT '', create_time TIMESTAMP NOT NULL,
  update_time TIMESTAMP, deleted SMALLINT DEFAULT 0, tenant_id BIGINT DEFAULT 1
);
CREATE TABLE crm_contract (
  id BIGINT PRIMARY KEY, name VARCHAR(128) NOT NULL, no VARCHAR(128) NOT NULL,
  customer_id BIGINT NOT NULL, business_id BIGINT, owner_user_id BIGINT,
  audit_status SMALLINT NOT NULL DEFAULT 0, order_date TIMESTAMP, total_price NUMERIC(10, 2),
  creator VARCHAR(64) DEFAULT '', create_time TIMESTAMP NOT NULL, update_time TIMESTAMP NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0, tenant_id BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE crm_receivable (
  id BIGINT PRIMARY KEY, no VARCHAR(100) NOT NULL, customer_id BIGINT NOT NULL,
  contract_id BIGINT NOT NULL, owner_user_id BIGINT, audit_status SMALLINT NOT NULL,
  return_time TIMESTAMP, price NUMERIC(24, 6) NOT NULL, create_time TIMESTAMP NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0, tenant_id BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE crm_follow_up_record (
  id BIGINT PRIMARY KEY, biz_type INTEGER, biz_id BIGINT, type INTEGER,
  content VARCHAR(512) DEFAULT '', next_time TIMESTAMP, business_ids VARCHAR(255) DEFAULT '',
  contact_ids VARCHAR(255) DEFAULT '', creator VARCHAR(64) DEFAULT '',
  create_time TIMESTAMP NOT NULL, update_time TIMESTAMP NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0, tenant_id BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE crm_customer_pool_config (
  id BIGINT PRIMARY KEY, enabled SMALLINT NOT NULL, contact_expire_days INTEGER,
  deal_expire_days INTEGER, notify_enabled SMALLINT, notify_days INTEGER,
  create_time TIMESTAMP NOT NULL, update_time TIMESTAMP NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0, tenant_id BIGINT NOT NULL DEFAULT 1
);
