"""The ERP schema: finance, inventory, procurement, sales, production, outbox, code counters.

Revision 0001 creates every table; later changes come as new revisions after it.
"""

import sqlalchemy as sa
from alembic import op

from subgraphs.common.codes import CODE_COUNTERS_TABLE, create_code_counters_table
from subgraphs.common.money import DecimalAmount
from tandem_shared.timestamps import AwareDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [
    "erp_accounts",
    "erp_assets",
    "erp_budgets",
    "erp_customers",
    "erp_employee_salaries",
    "erp_journal_entries",
    "erp_outbox",
    "erp_production_plans",
    "erp_suppliers",
    "erp_warehouses",
    "erp_items",
    "erp_journal_lines",
    "erp_purchase_orders",
    "erp_sales_orders",
    "erp_boms",
    "erp_purchase_order_lines",
    "erp_sales_order_lines",
    "erp_stock_levels",
    "erp_stock_movements",
    "erp_work_orders",
    "erp_bom_components",
    "erp_quality_inspections",
]
"""Created in this order (dependencies first); dropped in reverse."""


def upgrade() -> None:
    op.create_table(
        "erp_accounts",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_erp_accounts")),
    )
    op.create_table(
        "erp_assets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cost", DecimalAmount(), nullable=False),
        sa.Column("salvage_value", DecimalAmount(), nullable=False),
        sa.Column("acquisition_date", sa.Date(), nullable=False),
        sa.Column("useful_life_months", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.CheckConstraint(
            "salvage_value >= 0 AND salvage_value <= cost", name=op.f("ck_erp_assets_salvage")
        ),
        sa.CheckConstraint("useful_life_months > 0", name=op.f("ck_erp_assets_useful_life")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_assets")),
    )
    op.create_table(
        "erp_budgets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", DecimalAmount(), nullable=False),
        sa.Column("committed", DecimalAmount(), nullable=False),
        sa.Column("spent", DecimalAmount(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_budgets")),
        sa.UniqueConstraint("department_id", "period", name=op.f("uq_erp_budgets_department_id")),
    )
    op.create_index(op.f("ix_erp_budgets_period"), "erp_budgets", ["period"], unique=False)
    op.create_table(
        "erp_customers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_no", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("credit_limit", DecimalAmount(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.CheckConstraint("credit_limit >= 0", name=op.f("ck_erp_customers_credit_limit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_customers")),
        sa.UniqueConstraint("customer_no", name=op.f("uq_erp_customers_customer_no")),
    )
    op.create_table(
        "erp_employee_salaries",
        sa.Column("employee_id", sa.String(length=64), nullable=False),
        sa.Column("salary", sa.String(length=200), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_erp_employee_salaries")),
    )
    op.create_table(
        "erp_journal_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("entry_no", sa.String(length=32), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source_request_id", sa.String(length=64), nullable=True),
        sa.Column("posted_by", sa.String(length=64), nullable=False),
        sa.Column("posted_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_journal_entries")),
        sa.UniqueConstraint("entry_no", name=op.f("uq_erp_journal_entries_entry_no")),
        sa.UniqueConstraint(
            "source_request_id", name=op.f("uq_erp_journal_entries_source_request_id")
        ),
    )
    op.create_index(
        op.f("ix_erp_journal_entries_period"), "erp_journal_entries", ["period"], unique=False
    )
    op.create_table(
        "erp_outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("published_at", AwareDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_erp_outbox")),
        sa.UniqueConstraint("id", name=op.f("uq_erp_outbox_id")),
    )
    op.create_index(
        op.f("ix_erp_outbox_published_at"), "erp_outbox", ["published_at"], unique=False
    )
    op.create_index(op.f("ix_erp_outbox_topic"), "erp_outbox", ["topic"], unique=False)
    op.create_table(
        "erp_production_plans",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_production_plans")),
    )
    op.create_index(
        op.f("ix_erp_production_plans_period"), "erp_production_plans", ["period"], unique=False
    )
    op.create_table(
        "erp_suppliers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("bank_account", sa.String(length=500), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_erp_suppliers_rating")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_suppliers")),
    )
    op.create_table(
        "erp_warehouses",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_warehouses")),
        sa.UniqueConstraint("code", name=op.f("uq_erp_warehouses_code")),
    )
    op.create_table(
        "erp_items",
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("standard_cost", DecimalAmount(), nullable=False),
        sa.Column("list_price", DecimalAmount(), nullable=False),
        sa.Column("preferred_supplier_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["preferred_supplier_id"],
            ["erp_suppliers.id"],
            name=op.f("fk_erp_items_preferred_supplier_id_erp_suppliers"),
        ),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_erp_items")),
    )
    op.create_table(
        "erp_journal_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("account_code", sa.String(length=20), nullable=False),
        sa.Column("debit", DecimalAmount(), nullable=False),
        sa.Column("credit", DecimalAmount(), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "debit >= 0 AND credit >= 0", name=op.f("ck_erp_journal_lines_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_code"],
            ["erp_accounts.code"],
            name=op.f("fk_erp_journal_lines_account_code_erp_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["erp_journal_entries.id"],
            name=op.f("fk_erp_journal_lines_entry_id_erp_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_journal_lines")),
        sa.UniqueConstraint("entry_id", "line_no", name=op.f("uq_erp_journal_lines_entry_id")),
    )
    op.create_index(
        op.f("ix_erp_journal_lines_account_code"),
        "erp_journal_lines",
        ["account_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_erp_journal_lines_entry_id"), "erp_journal_lines", ["entry_id"], unique=False
    )
    op.create_table(
        "erp_purchase_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("supplier_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", DecimalAmount(), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("budget_period", sa.String(length=7), nullable=True),
        sa.Column("budget_exceeded", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=True),
        sa.Column("approval_request_id", sa.String(length=64), nullable=True),
        sa.Column("received_warehouse_id", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("sent_at", AwareDateTime(), nullable=True),
        sa.Column("received_at", AwareDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["received_warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_purchase_orders_received_warehouse_id_erp_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["erp_suppliers.id"],
            name=op.f("fk_erp_purchase_orders_supplier_id_erp_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_purchase_orders")),
        sa.UniqueConstraint(
            "approval_request_id", name=op.f("uq_erp_purchase_orders_approval_request_id")
        ),
        sa.UniqueConstraint("order_no", name=op.f("uq_erp_purchase_orders_order_no")),
    )
    op.create_index(
        op.f("ix_erp_purchase_orders_created_at"),
        "erp_purchase_orders",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_erp_purchase_orders_requested_by"),
        "erp_purchase_orders",
        ["requested_by"],
        unique=False,
    )
    op.create_index(
        op.f("ix_erp_purchase_orders_status"), "erp_purchase_orders", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_erp_purchase_orders_supplier_id"),
        "erp_purchase_orders",
        ["supplier_id"],
        unique=False,
    )
    op.create_table(
        "erp_sales_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", DecimalAmount(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("shipped_at", AwareDateTime(), nullable=True),
        sa.Column("closed_at", AwareDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["erp_customers.id"],
            name=op.f("fk_erp_sales_orders_customer_id_erp_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sales_orders")),
        sa.UniqueConstraint("order_no", name=op.f("uq_erp_sales_orders_order_no")),
    )
    op.create_index(
        op.f("ix_erp_sales_orders_created_at"), "erp_sales_orders", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_erp_sales_orders_customer_id"), "erp_sales_orders", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_erp_sales_orders_status"), "erp_sales_orders", ["status"], unique=False
    )
    op.create_table(
        "erp_boms",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("product_sku", sa.String(length=40), nullable=False),
        sa.Column("labour_hours", DecimalAmount(), nullable=False),
        sa.Column("labour_rate", DecimalAmount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_sku"], ["erp_items.sku"], name=op.f("fk_erp_boms_product_sku_erp_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_boms")),
        sa.UniqueConstraint("product_sku", name=op.f("uq_erp_boms_product_sku")),
    )
    op.create_table(
        "erp_purchase_order_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", DecimalAmount(), nullable=False),
        sa.Column("amount", DecimalAmount(), nullable=False),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_erp_purchase_order_lines_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["erp_purchase_orders.id"],
            name=op.f("fk_erp_purchase_order_lines_order_id_erp_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["sku"], ["erp_items.sku"], name=op.f("fk_erp_purchase_order_lines_sku_erp_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_purchase_order_lines")),
        sa.UniqueConstraint(
            "order_id", "line_no", name=op.f("uq_erp_purchase_order_lines_order_id")
        ),
    )
    op.create_index(
        op.f("ix_erp_purchase_order_lines_order_id"),
        "erp_purchase_order_lines",
        ["order_id"],
        unique=False,
    )
    op.create_table(
        "erp_sales_order_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("warehouse_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", DecimalAmount(), nullable=False),
        sa.Column("amount", DecimalAmount(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_erp_sales_order_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["erp_sales_orders.id"],
            name=op.f("fk_erp_sales_order_lines_order_id_erp_sales_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["sku"], ["erp_items.sku"], name=op.f("fk_erp_sales_order_lines_sku_erp_items")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_sales_order_lines_warehouse_id_erp_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_sales_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_erp_sales_order_lines_order_id")),
    )
    op.create_index(
        op.f("ix_erp_sales_order_lines_order_id"),
        "erp_sales_order_lines",
        ["order_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_erp_sales_order_lines_sku"), "erp_sales_order_lines", ["sku"], unique=False
    )
    op.create_table(
        "erp_stock_levels",
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("warehouse_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_erp_stock_levels_quantity_non_negative")),
        sa.CheckConstraint(
            "reserved >= 0 AND reserved <= quantity",
            name=op.f("ck_erp_stock_levels_reserved_in_stock"),
        ),
        sa.ForeignKeyConstraint(
            ["sku"], ["erp_items.sku"], name=op.f("fk_erp_stock_levels_sku_erp_items")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_stock_levels_warehouse_id_erp_warehouses"),
        ),
        sa.PrimaryKeyConstraint("sku", "warehouse_id", name=op.f("pk_erp_stock_levels")),
    )
    op.create_table(
        "erp_stock_movements",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("warehouse_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sku"], ["erp_items.sku"], name=op.f("fk_erp_stock_movements_sku_erp_items")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_stock_movements_warehouse_id_erp_warehouses"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_erp_stock_movements")),
        sa.UniqueConstraint("id", name=op.f("uq_erp_stock_movements_id")),
    )
    op.create_index(
        op.f("ix_erp_stock_movements_sku"), "erp_stock_movements", ["sku"], unique=False
    )
    op.create_table(
        "erp_work_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.String(length=40), nullable=True),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("warehouse_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("released_at", AwareDateTime(), nullable=True),
        sa.Column("completed_at", AwareDateTime(), nullable=True),
        sa.CheckConstraint(
            "completed >= 0 AND completed <= quantity", name=op.f("ck_erp_work_orders_completed")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_erp_work_orders_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["erp_production_plans.id"],
            name=op.f("fk_erp_work_orders_plan_id_erp_production_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["sku"], ["erp_items.sku"], name=op.f("fk_erp_work_orders_sku_erp_items")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp_warehouses.id"],
            name=op.f("fk_erp_work_orders_warehouse_id_erp_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_work_orders")),
        sa.UniqueConstraint("order_no", name=op.f("uq_erp_work_orders_order_no")),
    )
    op.create_index(
        op.f("ix_erp_work_orders_plan_id"), "erp_work_orders", ["plan_id"], unique=False
    )
    op.create_index(op.f("ix_erp_work_orders_sku"), "erp_work_orders", ["sku"], unique=False)
    op.create_index(op.f("ix_erp_work_orders_status"), "erp_work_orders", ["status"], unique=False)
    op.create_table(
        "erp_bom_components",
        sa.Column("bom_id", sa.String(length=40), nullable=False),
        sa.Column("component_sku", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_erp_bom_components_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["bom_id"], ["erp_boms.id"], name=op.f("fk_erp_bom_components_bom_id_erp_boms")
        ),
        sa.ForeignKeyConstraint(
            ["component_sku"],
            ["erp_items.sku"],
            name=op.f("fk_erp_bom_components_component_sku_erp_items"),
        ),
        sa.PrimaryKeyConstraint("bom_id", "component_sku", name=op.f("pk_erp_bom_components")),
    )
    op.create_table(
        "erp_quality_inspections",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("work_order_id", sa.String(length=40), nullable=False),
        sa.Column("inspected", sa.Integer(), nullable=False),
        sa.Column("defects", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.String(length=1000), nullable=True),
        sa.Column("inspector", sa.String(length=64), nullable=False),
        sa.Column("inspected_at", AwareDateTime(), nullable=False),
        sa.CheckConstraint(
            "inspected > 0 AND defects >= 0 AND defects <= inspected",
            name=op.f("ck_erp_quality_inspections_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["erp_work_orders.id"],
            name=op.f("fk_erp_quality_inspections_work_order_id_erp_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_quality_inspections")),
    )
    op.create_index(
        op.f("ix_erp_quality_inspections_work_order_id"),
        "erp_quality_inspections",
        ["work_order_id"],
        unique=False,
    )
    create_code_counters_table(op)


def downgrade() -> None:
    op.drop_table(CODE_COUNTERS_TABLE)
    for table in reversed(TABLES):
        op.drop_table(table)
