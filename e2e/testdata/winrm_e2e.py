#!/usr/bin/python3
"""Drives a running wbemd's WS-Management endpoint with Debian's python3-winrm.

Usage: winrm_e2e.py ENDPOINT USER PASSWORD [OTHER_USER OTHER_PASSWORD]

OTHER_USER is a user who may log in but may not call methods in
root/default; the script reports the fault its TestMeth.Echo gets.

pywinrm's only high-level API is the remote shell, so the CIM envelopes are
written here and posted with winrm.protocol.Protocol.send_message. That call
adds the Basic credentials, turns an HTTP 500 SOAP fault into WinRMError
(whose __context__ is the transport error holding the fault's text) and an
HTTP 401 into InvalidCredentialsError. Everything observed is printed as one
JSON object for e2e/winrm_test.go to check; the script itself asserts
nothing.
"""
import json
import sys
import uuid
import xml.etree.ElementTree as ET

import winrm
from winrm.exceptions import InvalidCredentialsError, WinRMError, WinRMTransportError
from winrm.protocol import Protocol

S = 'http://www.w3.org/2003/05/soap-envelope'
A = 'http://schemas.xmlsoap.org/ws/2004/08/addressing'
W = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
N = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration'
ID = 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd'
CIM_ERROR = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error'
WMI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/'
TRANSFER_GET = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get'
ENUMERATE = N + '/Enumerate'
PULL = N + '/Pull'

WIDGET = WMI + 'root/test/TST_Widget'
PROCESS = WMI + 'root/cimv2/Win32_Process'
ECHO = WMI + 'root/default/TestMeth'


def envelope(to, action, uri, body, selectors=()):
    """Returns (message id, envelope text) of a WS-Management request."""
    mid = 'uuid:%s' % uuid.uuid4()
    sel = ''
    if selectors:
        sel = '<w:SelectorSet>%s</w:SelectorSet>' % ''.join(
            '<w:Selector Name="%s">%s</w:Selector>' % kv for kv in selectors)
    text = (
        '<s:Envelope xmlns:s="{S}" xmlns:a="{A}" xmlns:w="{W}" xmlns:n="{N}">'
        '<s:Header>'
        '<a:To>{to}</a:To>'
        '<w:ResourceURI s:mustUnderstand="true">{uri}</w:ResourceURI>'
        '<a:ReplyTo><a:Address s:mustUnderstand="true">{A}/role/anonymous</a:Address></a:ReplyTo>'
        '<a:Action s:mustUnderstand="true">{action}</a:Action>'
        '<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>'
        '<a:MessageID>{mid}</a:MessageID>'
        '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>'
        '<w:OperationTimeout>PT30S</w:OperationTimeout>'
        '{sel}'
        '</s:Header><s:Body>{body}</s:Body></s:Envelope>'
    ).format(S=S, A=A, W=W, N=N, to=to, uri=uri, action=action, mid=mid, sel=sel, body=body)
    return mid, text


def invoke_body(uri, method, params):
    children = ''.join('<p:%s>%s</p:%s>' % (k, v, k) for k, v in params)
    return '<p:{m}_INPUT xmlns:p="{u}">{c}</p:{m}_INPUT>'.format(m=method, u=uri, c=children)


def children(elem):
    """The child elements of elem as {local name: text}."""
    return {c.tag.split('}', 1)[1]: c.text for c in elem}


def reply(root, mid):
    """The parts of an answer the Go test checks."""
    body = root.find('{%s}Body' % S)
    first = body[0] if len(body) else None
    return {
        'relates': root.findtext('{%s}Header/{%s}RelatesTo' % (S, A)) == mid,
        'action': root.findtext('{%s}Header/{%s}Action' % (S, A)),
        'tag': first.tag if first is not None else None,
        'props': children(first) if first is not None else {},
    }


def call(p, to, action, uri, body, selectors=()):
    mid, env = envelope(to, action, uri, body, selectors)
    return reply(ET.fromstring(p.send_message(env)), mid)


def fault_of(p, to, action, uri, body, selectors=()):
    """Sends a request that must fail; returns what pywinrm raised and the
    CIM status of the fault's CIM_Error detail."""
    _, env = envelope(to, action, uri, body, selectors)
    try:
        p.send_message(env)
        return {'raised': False}
    except WinRMError as e:
        out = {'raised': True, 'type': type(e).__name__, 'message': str(e)}
        ctx = e.__context__
        if isinstance(ctx, WinRMTransportError):
            out['http_status'] = ctx.code
            root = ET.fromstring(ctx.response_text)
            out['cim_status'] = root.findtext('.//{%s}CIMStatusCode' % CIM_ERROR)
            out['subcode'] = root.findtext('.//{%s}Subcode/{%s}Value' % (S, S))
        return out


def winrm_version():
    try:
        import importlib.metadata
        return importlib.metadata.version('pywinrm')
    except Exception:  # noqa: BLE001 - informative only
        return getattr(winrm, '__version__', 'unknown')


def main():
    endpoint, user, password = sys.argv[1:4]
    other = sys.argv[4:6]
    out = {'winrm_version': winrm_version()}

    def protocol(u, pw):
        return Protocol(endpoint=endpoint, transport='basic', username=u, password=pw,
                        server_cert_validation='ignore', read_timeout_sec=40, operation_timeout_sec=30)

    p = protocol(user, password)

    # Identify, anonymously: pywinrm insists on a user name, so the
    # session's credentials are removed before the first request.
    anon = protocol('anonymous', '')
    anon.transport.build_session()
    anon.transport.session.auth = None
    ident = ('<s:Envelope xmlns:s="%s" xmlns:wsmid="%s"><s:Header/>'
             '<s:Body><wsmid:Identify/></s:Body></s:Envelope>') % (S, ID)
    r = ET.fromstring(anon.send_message(ident)).find('{%s}Body/{%s}IdentifyResponse' % (S, ID))
    out['identify'] = children(r) if r is not None else None

    # The same anonymous session may not invoke anything.
    try:
        _, env = envelope(endpoint, ECHO + '/Echo', ECHO, invoke_body(ECHO, 'Echo', [('sInArg', 'x')]))
        anon.send_message(env)
        out['anonymous_invoke'] = {'raised': False}
    except Exception as e:  # noqa: BLE001 - reported to the test
        out['anonymous_invoke'] = {'raised': True, 'type': type(e).__name__, 'message': str(e)}

    # Get TST_Widget w1.
    out['get'] = call(p, endpoint, TRANSFER_GET, WIDGET, '', [('Id', 'w1')])

    # Enumerate TST_Widget, then Pull one at a time to the end.
    mid, env = envelope(endpoint, ENUMERATE, WIDGET, '<n:Enumerate/>')
    root = ET.fromstring(p.send_message(env))
    ctx = root.findtext('{%s}Body/{%s}EnumerateResponse/{%s}EnumerationContext' % (S, N, N))
    ids, pulls = [], 0
    while ctx and pulls < 10:
        pulls += 1
        _, env = envelope(endpoint, PULL, WIDGET,
                          '<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>'
                          '<n:MaxElements>1</n:MaxElements></n:Pull>' % ctx)
        resp = ET.fromstring(p.send_message(env)).find('{%s}Body/{%s}PullResponse' % (S, N))
        for item in resp.find('{%s}Items' % N):
            ids.append(children(item).get('Id'))
        ctx = resp.findtext('{%s}EnumerationContext' % N)
        if resp.find('{%s}EndOfSequence' % N) is not None:
            break
    out['enumerate'] = {'ids': ids, 'pulls': pulls}

    # Win32_Process.Create, a static method: no selectors.
    out['create'] = call(p, endpoint, PROCESS + '/Create', PROCESS,
                         invoke_body(PROCESS, 'Create', [('CommandLine', 'sleep 30')]))

    # TST_Widget.Resize on w1, then Get shows the new size.
    out['resize'] = call(p, endpoint, WIDGET + '/Resize', WIDGET,
                         invoke_body(WIDGET, 'Resize', [('NewSize', '77'), ('Force', 'true')]), [('Id', 'w1')])
    out['get_after'] = call(p, endpoint, TRANSFER_GET, WIDGET, '', [('Id', 'w1')])

    # Faults: Fail(6) raises CIM_ERR_NOT_FOUND; Resize without NewSize is
    # CIM_ERR_INVALID_PARAMETER; Resize on a missing widget CIM_ERR_NOT_FOUND.
    out['fault_fail6'] = fault_of(p, endpoint, WIDGET + '/Fail', WIDGET,
                                  invoke_body(WIDGET, 'Fail', [('Code', '6')]), [('Id', 'w1')])
    out['fault_resize'] = fault_of(p, endpoint, WIDGET + '/Resize', WIDGET,
                                   invoke_body(WIDGET, 'Resize', [('Force', 'true')]), [('Id', 'w1')])
    out['fault_missing'] = fault_of(p, endpoint, WIDGET + '/Resize', WIDGET,
                                    invoke_body(WIDGET, 'Resize', [('NewSize', '1')]), [('Id', 'nope')])

    # Authenticated, but not authorised: the AccessDenied fault.
    if len(other) == 2:
        out['denied'] = fault_of(protocol(other[0], other[1]), endpoint, ECHO + '/Echo', ECHO,
                                 invoke_body(ECHO, 'Echo', [('sInArg', 'x')]))

    # A wrong password: HTTP 401.
    bad = protocol(user, password + 'x')
    _, env = envelope(endpoint, ECHO + '/Echo', ECHO, invoke_body(ECHO, 'Echo', [('sInArg', 'x')]))
    try:
        bad.send_message(env)
        out['bad_password'] = {'raised': False}
    except InvalidCredentialsError as e:
        out['bad_password'] = {'raised': True, 'type': type(e).__name__, 'message': str(e)}
    except Exception as e:  # noqa: BLE001 - reported to the test
        out['bad_password'] = {'raised': True, 'type': type(e).__name__, 'message': str(e)}

    print(json.dumps(out))


if __name__ == '__main__':
    main()
