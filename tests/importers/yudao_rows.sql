-- A handful of rows, names in Chinese and English; times are Beijing time (UTC+8).
INSERT INTO system_users (id, username, nickname, dept_id, status, create_time, update_time, deleted) VALUES
  (1, 'admin', '芋道源码', 100, 0, '2023-01-03 09:00:00', '2024-01-05 10:00:00', 0),
  (103, 'lilei', '李雷', 101, 0, '2023-03-01 09:00:00', '2024-01-05 10:00:00', 0),
  (104, 'wendy', 'Wendy Wang', 101, 1, '2023-04-01 09:00:00', '2024-03-01 18:00:00', 0);
INSERT INTO crm_customer (id, name, owner_user_id, owner_time, deal_status, area_id, industry_id, level, source, create_time, update_time, deleted) VALUES
  (12, '测试公海逻辑', 103, '2024-02-20 20:02:19', 0, 110101, 1, 2, 1, '2024-01-20 17:41:26', '2024-02-20 20:02:19', 0),
  (13, 'Acme Trading Co.', NULL, '2024-02-20 20:17:42', 0, NULL, NULL, NULL, 2, '2024-01-20 20:17:42', '2024-02-20 12:35:56', 0),
  (14, '啦啦啦科技', 1, '2024-02-01 21:39:40', 1, 130304, 2, 3, 1, '2024-02-01 21:39:40', '2024-02-23 14:30:34', 0),
  (16, 'Demo Industrial Ltd', 1, '2024-02-23 21:16:14', 0, NULL, NULL, NULL, NULL, '2024-02-03 21:16:14', '2024-02-24 15:42:41', 0),
  (17, '已删除客户', 1, '2024-02-20 23:05:17', 0, NULL, NULL, NULL, 1, '2024-02-03 22:04:53', '2024-02-26 01:36:21', 1);
INSERT INTO crm_contact (id, name, customer_id, create_time, deleted) VALUES
  (9, '土豆', 14, '2024-02-02 14:02:45', 0),
  (15, 'Tom Lee', 16, '2024-02-22 09:08:12', 0);
INSERT INTO crm_business (id, name, customer_id, owner_user_id, end_status, total_price, create_time, update_time, deleted) VALUES
  (5, '年度采购', 14, 1, 1, 10005.800000, '2024-02-05 16:35:59', '2024-02-21 17:42:54', 0),
  (6, 'Pilot project', 16, 1, NULL, 10010.000000, '2024-02-21 21:30:17', '2024-02-21 23:35:46', 0),
  (7, '摩西摩西', 12, 103, 2, 0.000000, '2024-02-21 21:48:20', '2024-02-22 21:48:20', 0);
INSERT INTO crm_contract (id, name, no, customer_id, business_id, owner_user_id, audit_status, order_date, total_price, create_time, update_time, deleted) VALUES
  (4, '测试合同', 'HT20240222000001', 14, 5, 1, 20, '2024-02-22 00:00:00', 10010.00, '2024-02-22 23:50:39', '2024-02-23 12:27:42', 0),
  (10, 'Demo contract', 'HT20240224000003', 16, 6, 1, 20, NULL, 8088.24, '2024-02-24 08:04:22', '2024-02-24 08:07:37', 0),
  (11, '草稿合同', 'HT20240224000004', 16, NULL, 1, 0, '2024-02-06 00:00:00', 16016.00, '2024-02-24 16:06:37', '2024-02-24 16:06:37', 0);
INSERT INTO crm_receivable (id, no, customer_id, contract_id, owner_user_id, audit_status, return_time, price, create_time, deleted) VALUES
  (10, 'HK20240225000001', 14, 4, 1, 20, '2024-02-27 00:00:00', 10010.000000, '2024-02-25 18:13:42', 0);
INSERT INTO crm_follow_up_record (id, biz_type, biz_id, type, content, creator, create_time, update_time, deleted) VALUES
  (2, 2, 12, 1, '电话沟通需求', '103', '2024-01-22 09:35:23', '2024-01-22 09:35:23', 0),
  (3, 2, 14, 3, 'Visited the plant', '1', '2024-02-03 01:33:42', '2024-02-03 01:33:42', 0),
  (4, 3, 9, 2, '发短信给土豆', '1', '2024-02-19 20:01:17', '2024-02-19 20:01:17', 0),
  (5, 4, 6, 4, '微信沟通', '1', '2024-02-21 23:35:46', '2024-02-21 23:35:46', 0),
  (6, 5, 4, 9, '合同跟进', '1', '2024-02-23 09:30:41', '2024-02-23 09:30:41', 0),
  (7, 2, 13, 1, 'Called, no answer', '104', '2024-02-10 10:00:00', '2024-02-10 10:00:00', 0),
  (8, 2, 12, 1, '已删除的记录', '103', '2024-02-11 10:00:00', '2024-02-11 10:00:00', 1),
  (9, 1, 2, 1, '线索跟进 (a lead: no customer yet)', '1', '2024-02-12 10:00:00', '2024-02-12 10:00:00', 0);
INSERT INTO crm_customer_pool_config (id, enabled, contact_expire_days, deal_expire_days, notify_enabled, notify_days, create_time, update_time, deleted) VALUES
  (1, 1, 31, 5, 1, 2, '2023-11-18 21:52:52', '2024-02-20 17:40:47', 0);
