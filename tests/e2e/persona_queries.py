"""The GraphQL documents of the persona journeys (``tests/e2e/test_personas.py``), by
journey, so the journeys read as steps and checks."""

__all__ = [
    "ADJUST",
    "ANNOUNCE",
    "ASSET",
    "ASSETS",
    "AUDIT",
    "BOM",
    "BUDGETS",
    "CATALOGUE",
    "CHANGE",
    "COST",
    "CREATE_CUSTOMER",
    "CREATE_SALES_ORDER",
    "CUSTOMER",
    "DECISION",
    "DEPARTMENT_BUDGET",
    "ENTRIES",
    "EVERYTHING",
    "FLOW",
    "IDENTITY",
    "INBOX",
    "INSPECT",
    "MOVEMENTS",
    "NEWS",
    "ORDERS_OF",
    "PERSON",
    "PLAN",
    "POST",
    "PRICE",
    "PROGRESS",
    "RECEIVE",
    "RELEASE",
    "ROOM",
    "RULES",
    "SALARY",
    "SALES",
    "SEND",
    "SET_BOM",
    "SET_BUDGET",
    "SHIP",
    "STOCK",
    "TRIAL",
    "VERSION",
]

# -- stock, as the warehouse keeper sees it --------------------------------------------

STOCK = "query ($sku: ID!) { stock(sku: $sku) { warehouse { id } quantity reserved available } }"
MOVEMENTS = """
query ($sku: ID!, $warehouse: ID!) {
  stockMovements(filter: { sku: $sku, warehouseId: $warehouse }, first: 100) {
    edges { node { quantity kind reference reason actor { ... on Employee { id } } } }
  }
}"""

# -- an employee's purchase ------------------------------------------------------------

INBOX = "{ approvalInbox(first: 100) { edges { node { id title } } } }"
ORDERS_OF = """
query ($applicant: ID!) {
  purchaseOrders(filter: { requestedBy: $applicant }, first: 100) {
    edges { node { id orderNo status approvalRequest { id } } }
  }
}"""
SEND = "mutation ($id: ID!) { sendPurchaseOrder(id: $id) { orderNo status sentAt } }"
RECEIVE = """
mutation ($id: ID!, $warehouse: ID!) {
  receiveGoods(input: { purchaseOrderId: $id, warehouseId: $warehouse }) {
    orderNo status receivedInto { id }
  }
}"""

# -- a sales rep's order ---------------------------------------------------------------

CREATE_CUSTOMER = """
mutation ($input: CreateCustomerInput!) {
  createCustomer(input: $input) { id customerNo name creditLimit { amount currency } }
}"""
CREATE_SALES_ORDER = """
mutation ($input: CreateSalesOrderInput!) {
  createSalesOrder(input: $input) {
    id orderNo status total { amount currency }
    customer { id } lines { item { sku } warehouse { id } quantity unitPrice { amount } }
  }
}"""
SHIP = "mutation ($id: ID!) { shipSalesOrder(id: $id) { id orderNo status shippedAt } }"
CUSTOMER = """
query ($id: ID!) {
  customer(id: $id) {
    openBalance { amount } availableCredit { amount }
    salesOrders { edges { node { id status } } }
  }
  item(sku: "SKU-0037") { available }
}"""
SALES = """
query ($period: String!) {
  salesSummary(period: $period, groupBy: CUSTOMER) {
    period rows { key label quantity amount { amount } orderCount }
  }
  salesForecast(sku: "SKU-0035", periods: 2, history: 6) {
    sku history { period quantity } forecast { period quantity }
  }
}"""

# -- production ------------------------------------------------------------------------

SET_BOM = """
mutation ($input: SetBillOfMaterialsInput!) {
  setBillOfMaterials(input: $input) {
    product { sku } components { item { sku name } quantity } labourHours labourRate { amount }
  }
}"""
BOM = """
query ($sku: ID!) { billOfMaterials(sku: $sku) { components { item { sku } quantity } } }"""
PLAN = """
mutation ($input: CreateProductionPlanInput!) {
  createProductionPlan(input: $input) {
    id name period workOrders { id orderNo item { sku } quantity status }
  }
}"""
RELEASE = """
mutation ($id: ID!, $warehouse: ID!) {
  releaseWorkOrder(id: $id, warehouseId: $warehouse) { status warehouse { id } releasedAt }
}"""
PROGRESS = """
mutation ($id: ID!, $quantity: Int!) {
  reportProgress(workOrderId: $id, quantity: $quantity) { status completed progress }
}"""
INSPECT = """
mutation ($input: RecordInspectionInput!) {
  recordInspection(input: $input) {
    workOrderId inspected defects passed inspector { ... on Employee { id } }
  }
}"""
COST = """
query ($id: ID!) {
  productionCost(workOrderId: $id) {
    lines { item { sku } quantity unitCost { amount } amount { amount } }
    materials { amount } labour { amount } total { amount } perUnit { amount }
  }
  workOrder(id: $id) { status inspections { passed } }
}"""

# -- finance's month -------------------------------------------------------------------

POST = """
mutation ($input: PostJournalEntryInput!) {
  postJournalEntry(input: $input) {
    id entryNo period memo total { amount currency } postedBy { ... on Employee { id name } }
    lines { account { code } debit { amount } credit { amount } }
  }
}"""
ENTRIES = """
query ($period: String!) { journalEntries(period: $period, first: 100) {
  edges { node { entryNo memo } } } }"""
TRIAL = """
query ($period: String!) {
  trialBalance(period: $period) {
    balanced totalDebit { amount } totalCredit { amount }
    lines { account { code } periodDebit { amount } periodCredit { amount } }
  }
}"""
SET_BUDGET = """
mutation ($input: SetBudgetInput!) {
  setBudget(input: $input) { departmentId period amount { amount currency } }
}"""
BUDGETS = """
query ($period: String!) {
  budgets(period: $period, first: 20) { edges { node { departmentId amount { amount } } } }
  department(id: "dept-06") { budget(period: $period) { amount { amount } } }
}"""
ASSET = """
mutation ($input: RegisterAssetInput!) {
  registerAsset(input: $input) {
    id name cost { amount } depreciationSchedule { period amount { amount } }
    bookValue(asOf: "2036-01-01") { amount }
  }
}"""
ASSETS = "{ assets(first: 100) { edges { node { id name } } } }"
SALARY = '{ employee(id: "emp-031") { salary { amount currency } } }'

# -- HR's people upkeep ----------------------------------------------------------------

PERSON = """
query ($id: ID!) {
  employee(id: $id) { id name roles department { id } phone idCardNumber salary { amount } }
}"""
IDENTITY = """
mutation ($id: ID!, $phone: String!) {
  updateEmployeeIdentity(id: $id, phone: $phone) { id phone }
}"""
FLOW = """
mutation ($input: DefineApprovalFlowInput!) {
  defineApprovalFlow(input: $input) { kind name version active steps { number rule role } }
}"""
ROOM = """
mutation ($input: MeetingRoomInput!) { createMeetingRoom(input: $input) { id name capacity } }"""
ANNOUNCE = """
mutation ($input: PublishAnnouncementInput!) {
  publishAnnouncement(input: $input) { id title author { id } }
}"""
NEWS = "{ announcements(first: 50) { edges { node { id title } } } }"

# -- the manager's approvals -----------------------------------------------------------

DECISION = """
query ($id: ID!) {
  approvalRequest(id: $id) { status steps { number decision approver { id } } }
}"""
DEPARTMENT_BUDGET = """
query ($period: String!) {
  department(id: "dept-01") {
    budget(period: $period) { amount { amount } committed { amount } spent { amount } }
  }
}"""

# -- the warehouse's stock work --------------------------------------------------------

ADJUST = """
mutation ($input: AdjustStockInput!) {
  adjustStock(input: $input) { item { sku } warehouse { id } quantity }
}"""

# -- the policy admin API --------------------------------------------------------------

VERSION = "{ currentVersion }"
RULES = "query ($subject: String) { rules(subject: $subject) { text } }"
CHANGE = """
mutation ($rule: PolicyRuleInput!, $version: Int) {
  %s(rule: $rule, expectedVersion: $version, comment: "personas: integrators lose list prices") {
    version { version author action } added { text } removed { text }
  }
}"""
AUDIT = "{ policyAudit(first: 5) { nodes { actor action version before after comment } } }"
PRICE = '{ item(sku: "SKU-0001") { sku listPrice { amount } } }'

# -- the auditor's and the integrator's reads ------------------------------------------

EVERYTHING = """
query ($period: String!) {
  journalEntries(period: $period, first: 5) { edges { node { entryNo total { amount } } } }
  trialBalance(period: $period) { balanced totalDebit { amount } }
  budgets(period: $period, first: 20) { edges { node { departmentId spent { amount } } } }
  assets(first: 5) { edges { node { name bookValue { amount } } } }
  employee(id: "emp-031") { name salary { amount } idCardNumber phone }
  supplier(id: "sup-01") { name bankAccount }
  customer(id: "cus-01") { name phone creditLimit { amount } }
  purchaseOrders(first: 5) { edges { node { orderNo total { amount } supplier { name } } } }
  salesOrders(first: 5) { edges { node { orderNo status customer { name } } } }
  stockMovements(first: 5) { edges { node { sku kind quantity actor { __typename } } } }
  workOrders(first: 5) { edges { node { orderNo status item { sku } } } }
  productionPlans(first: 5) { edges { node { name workOrders { orderNo } } } }
}"""
CATALOGUE = """
{
  items(first: 5) { edges { node { sku name listPrice { amount currency } } } }
  purchaseOrders(first: 5) { edges { node { orderNo status supplier { name } } } }
  suppliers(first: 5) { edges { node { id name rating } } }
}"""
