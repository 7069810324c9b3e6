"""The policy admin API's schema (SDL): the policy, its history, four-eyes requests.

Every field is decided by the policy as the coordinate ``Type.field`` (see
:mod:`gateway.authz.admin`), so the type names here are the objects policy rules name:
``PolicyAdmin.*``, ``PolicyChangeRequest.*``, ``Mutation.approvePolicyChange``...
"""

from __future__ import annotations

__all__ = ["SDL"]

SDL = '''\
schema { query: PolicyAdmin mutation: Mutation }

"The policy in force and its history. Every field is itself decided by the policy."
type PolicyAdmin {
  "The version of the policy in force."
  currentVersion: Int!
  "The rules in force, in order; the filters match a subject or an object exactly."
  rules(subject: String, object: String): [PolicyRule!]!
  "Every version of the policy, newest first."
  policyVersions(first: Int! = 20, after: String): PolicyVersionPage!
  "One version, or null if there is no such version."
  policyVersion(version: Int!): PolicyVersion
  """Every change, newest first; with kind, only entries of that kind (change, request,
  approval, rejection, withdrawal, emergency)."""
  policyAudit(first: Int! = 20, after: String, kind: String): PolicyAuditPage!
  "Changes that grant something sensitive (four-eyes), newest first; with status, only those."
  policyChangeRequests(first: Int! = 20, after: String, status: String): PolicyChangeRequestPage!
  "One request, or null if there is no such request."
  policyChangeRequest(id: ID!): PolicyChangeRequest
  """A dry run of a change: what adding and removing these rules would do, made nowhere (the
  lint problems it brings, the policy test cases on it, who gains or loses what)."""
  previewPolicyChange(
    add: [PolicyRuleInput!]! = [], remove: [PolicyRuleInput!]! = []
  ): PolicyPreview!
  """Whether a person (subject, roles, department) may act on a coordinate (Type.field)
  under the policy in force, and the rule that decides."""
  explainPolicy(
    subject: String!, roles: [String!]!, department: String, coordinate: String!,
    action: String! = "read"
  ): PolicyExplanation!
}

"What a change would do (previewPolicyChange)."
type PolicyPreview {
  "The version previewed on: apply with it as expectedVersion."
  baseVersion: Int!
  added: [PolicyRule!]!
  removed: [PolicyRule!]!
  "Lint problems of the changed policy that the policy in force does not have."
  problems: [PolicyProblem!]!
  """The policy test cases (the policy folder's tests/) whose operations reach a changed
  coordinate, run on the changed policy; the others cannot change."""
  tests: [PolicyTestResult!]!
  "How many test cases the policy folder has."
  testCaseCount: Int!
  "Who would gain or lose what."
  effects: [PolicyEffect!]!
}

type PolicyProblem {
  "The line, as policy.csv writes it."
  rule: String!
  kind: String!
  message: String!
}

type PolicyTestResult {
  name: String!
  passed: Boolean!
  failures: [String!]!
}

"A role (on its own) that gains or loses an action on a coordinate."
type PolicyEffect {
  role: String!
  "GAIN or LOSE."
  change: String!
  coordinate: String!
  action: String!
  "On related objects only (role@relation rules: employee@self, the caller's own record)."
  related: Boolean!
}

type PolicyExplanation {
  allowed: Boolean!
  "The deciding rule, as policy.csv writes it, or the gateway's default."
  rule: String!
  "No rule matched: the gateway's default decided."
  byDefault: Boolean!
  "Rules that allow it on related objects only (employee@self: the caller's own record)."
  relatedOnly: [String!]!
}

"A policy line: p, subject, domain, object, action, effect."
type PolicyRule {
  subject: String!
  domain: String!
  object: String!
  action: String!
  effect: String!
  "The line as policy.csv writes it."
  text: String!
}

type PolicyVersion {
  version: Int!
  author: String!
  createdAt: String!
  "seed, adopt, add, remove, replace or rollback."
  action: String!
  comment: String!
  ruleCount: Int!
  rules: [PolicyRule!]!
}

type PolicyPageInfo {
  hasNextPage: Boolean!
  endCursor: String
}

type PolicyVersionPage {
  nodes: [PolicyVersion!]!
  pageInfo: PolicyPageInfo!
}

type PolicyAuditEntry {
  id: ID!
  at: String!
  actor: String!
  "change, request, approval, rejection, withdrawal or emergency."
  kind: String!
  "The four-eyes request the entry belongs to."
  requestId: ID
  action: String!
  """The version the change made (null for a request, rejection or withdrawal), and the one
  it was made on."""
  version: Int
  baseVersion: Int
  comment: String!
  "The lines the change removed, as policy.csv writes them."
  before: [String!]!
  "The lines the change added."
  after: [String!]!
}

type PolicyAuditPage {
  nodes: [PolicyAuditEntry!]!
  pageInfo: PolicyPageInfo!
}

"""What a change did: APPLIED (a new version), or PENDING when it grants something
sensitive and waits for a second security administrator (no version; added and removed say
what it would do)."""
type PolicyChange {
  status: String!
  version: PolicyVersion
  added: [PolicyRule!]!
  removed: [PolicyRule!]!
  request: PolicyChangeRequest
}

"A change that grants something sensitive, waiting for (or decided by) a second admin."
type PolicyChangeRequest {
  id: ID!
  author: String!
  createdAt: String!
  "add, remove, replace or rollback."
  action: String!
  comment: String!
  "PENDING, APPROVED, REJECTED, WITHDRAWN or EMERGENCY."
  status: String!
  "The version the request was made on."
  baseVersion: Int!
  "The lines it adds and removes, as policy.csv writes them."
  added: [String!]!
  removed: [String!]!
  "The lines that make it sensitive."
  sensitive: [String!]!
  decidedBy: String
  decidedAt: String
  decisionComment: String
  "The version its approval made."
  appliedVersion: Int
}

type PolicyChangeRequestPage {
  nodes: [PolicyChangeRequest!]!
  pageInfo: PolicyPageInfo!
}

input PolicyRuleInput {
  subject: String!
  domain: String! = "*"
  object: String!
  action: String!
  effect: String! = "allow"
}

"""Each change may name the version it was made on: CONFLICT if the policy moved since."""
type Mutation {
  addPolicyRule(rule: PolicyRuleInput!, expectedVersion: Int, comment: String): PolicyChange!
  removePolicyRule(rule: PolicyRuleInput!, expectedVersion: Int, comment: String): PolicyChange!
  "Replace every rule at once."
  replacePolicyRules(
    rules: [PolicyRuleInput!]!, expectedVersion: Int, comment: String
  ): PolicyChange!
  "Make an old version's policy current again, as a new version."
  rollbackPolicy(version: Int!, expectedVersion: Int, comment: String): PolicyChange!
  "Apply another administrator's pending request (four-eyes)."
  approvePolicyChange(id: ID!, comment: String): PolicyChange!
  "Refuse another administrator's pending request."
  rejectPolicyChange(id: ID!, comment: String): PolicyChangeRequest!
  "Take back your own pending request."
  withdrawPolicyChange(id: ID!, comment: String): PolicyChangeRequest!
  """Apply a pending request at once, without a second administrator: emergency roles only,
  with a reason; audited and alerted."""
  emergencyApplyPolicyChange(id: ID!, reason: String!): PolicyChange!
}
'''
