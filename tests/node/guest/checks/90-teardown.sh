# shellcheck shell=bash
# After this round: no pod left by the checks above, an empty ledger, no
# container scope left.  Leftover pods are removed (so that the next round
# starts clean) but fail the check.
teardown() {
	local left ids scopes
	left=$(cri down-all | jq -r '.removed[]') || return
	ids=$(ledger_ids)
	scopes=$(scopes_left 'cri-containerd-*.scope')
	[ -z "$left" ] || fail "pods left behind by the checks above:" "$left"
	[ -z "$scopes" ] || fail "scopes left behind:" "$scopes"
	[ -z "$ids" ] || fail "the ledger still holds:" "$(ledger_doc | jq -c '.containers[]')"
	[ -z "$left$scopes$ids" ]
}
check "teardown: no pod left, the ledger empty, no container scope" teardown
