"""Every ERP table, importable from one place (all modules loaded, so relationships resolve)."""

from subgraphs.erp.store.models.finance import (
    Account,
    Asset,
    Budget,
    EmployeeSalary,
    JournalEntry,
    JournalLine,
)
from subgraphs.erp.store.models.inventory import Item, StockLevel, StockMovement, Warehouse
from subgraphs.erp.store.models.people import DepartmentCopy, PersonCopy
from subgraphs.erp.store.models.procurement import PurchaseOrder, PurchaseOrderLine, Supplier
from subgraphs.erp.store.models.production import (
    BillOfMaterials,
    BomComponent,
    ProductionPlan,
    QualityInspection,
    WorkOrder,
)
from subgraphs.erp.store.models.sales import Customer, SalesOrder, SalesOrderLine

__all__ = [
    "Account",
    "Asset",
    "BillOfMaterials",
    "BomComponent",
    "Budget",
    "Customer",
    "DepartmentCopy",
    "EmployeeSalary",
    "Item",
    "JournalEntry",
    "JournalLine",
    "PersonCopy",
    "ProductionPlan",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "QualityInspection",
    "SalesOrder",
    "SalesOrderLine",
    "StockLevel",
    "StockMovement",
    "Supplier",
    "Warehouse",
    "WorkOrder",
]
