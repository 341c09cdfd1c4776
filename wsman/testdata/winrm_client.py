#!/usr/bin/python3
"""Drives a gowbem WS-Management endpoint with Debian's python3-winrm.

Usage: winrm_client.py ENDPOINT USER PASSWORD WIDGET_URI ECHO_URI

pywinrm has no CIM API, so the envelopes are composed here and posted with
winrm.protocol.Protocol.send_message, which adds HTTP Basic credentials
and turns faults into WinRMError and HTTP 401 into InvalidCredentialsError
(WSMAN.md section 4.1). The results are printed as one JSON object for
the Go test to check.
"""
import json
import sys
import uuid
import xml.etree.ElementTree as ET

import winrm
from winrm.exceptions import InvalidCredentialsError, WinRMError
from winrm.protocol import Protocol

NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'a': 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
    'w': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
    'n': 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
    'wsmid': 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd',
}
ANON = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'


def envelope(endpoint, action, uri, body, selectors=None):
    """Returns (message id, envelope text)."""
    mid = 'uuid:' + str(uuid.uuid4()).upper()
    sels = ''
    if selectors:
        sels = '<w:SelectorSet>' + ''.join(
            '<w:Selector Name="%s">%s</w:Selector>' % (k, v) for k, v in selectors) + '</w:SelectorSet>'
    return mid, (
        '<s:Envelope xmlns:s="%(s)s" xmlns:a="%(a)s" xmlns:w="%(w)s" xmlns:n="%(n)s" '
        'xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
        '<s:Header><a:To>%(to)s</a:To>'
        '<w:ResourceURI s:mustUnderstand="true">%(uri)s</w:ResourceURI>'
        '<a:ReplyTo><a:Address s:mustUnderstand="true">%(anon)s</a:Address></a:ReplyTo>'
        '<a:Action s:mustUnderstand="true">%(action)s</a:Action>'
        '<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>'
        '<a:MessageID>%(mid)s</a:MessageID>'
        '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>'
        '<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>'
        '<w:OperationTimeout>PT20S</w:OperationTimeout>%(sels)s</s:Header>'
        '<s:Body>%(body)s</s:Body></s:Envelope>'
    ) % dict(NS, to=endpoint, uri=uri, anon=ANON, action=action, mid=mid, sels=sels, body=body)


def relates(root, mid):
    rt = root.find('s:Header/a:RelatesTo', NS)
    return rt is not None and rt.text == mid


def main():
    endpoint, user, password, widget, echo = sys.argv[1:6]
    out = {'winrm_version': getattr(winrm, '__version__', 'unknown')}
    p = Protocol(endpoint=endpoint, transport='basic', username=user, password=password,
                 server_cert_validation='ignore')

    # Identify.
    ident = ('<s:Envelope xmlns:s="%(s)s" xmlns:wsmid="%(wsmid)s"><s:Header/>'
             '<s:Body><wsmid:Identify/></s:Body></s:Envelope>') % NS
    root = ET.fromstring(p.send_message(ident))
    r = root.find('s:Body/wsmid:IdentifyResponse', NS)
    out['identify'] = {k: r.findtext('wsmid:' + k, namespaces=NS)
                       for k in ('ProtocolVersion', 'ProductVendor', 'ProductVersion')}

    # Get.
    mid, env = envelope(endpoint, 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get', widget, '',
                        [('Id', 'w1')])
    root = ET.fromstring(p.send_message(env))
    inst = root.find('s:Body', NS)[0]
    out['get'] = {
        'relates': relates(root, mid),
        'action': root.findtext('s:Header/a:Action', namespaces=NS),
        'tag': inst.tag,
        'props': {c.tag.split('}')[1]: c.text for c in inst},
    }

    # Enumerate, then Pull until the end of the sequence.
    mid, env = envelope(endpoint, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', widget,
                        '<n:Enumerate/>')
    root = ET.fromstring(p.send_message(env))
    ctx = root.findtext('s:Body/n:EnumerateResponse/n:EnumerationContext', namespaces=NS)
    ids, pulls = [], 0
    while ctx and pulls < 20:
        pulls += 1
        mid, env = envelope(endpoint, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull', widget,
                            '<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>'
                            '<n:MaxElements>2</n:MaxElements></n:Pull>' % ctx)
        root = ET.fromstring(p.send_message(env))
        resp = root.find('s:Body/n:PullResponse', NS)
        for item in resp.find('n:Items', NS):
            ids.append(item.findtext('{%s}Id' % item.tag[1:].split('}')[0]))
        ctx = resp.findtext('n:EnumerationContext', namespaces=NS)
        if resp.find('n:EndOfSequence', NS) is not None:
            break
    out['enumerate'] = {'ids': ids, 'pulls': pulls}

    # Invoke a static method.
    body = ('<p:Echo_INPUT xmlns:p="%s"><p:sInArg>hello from pywinrm &amp; co</p:sInArg></p:Echo_INPUT>' % echo)
    mid, env = envelope(endpoint, echo + '/Echo', echo, body)
    root = ET.fromstring(p.send_message(env))
    o = root.find('s:Body', NS)[0]
    out['invoke'] = {
        'relates': relates(root, mid),
        'action': root.findtext('s:Header/a:Action', namespaces=NS),
        'tag': o.tag,
        'props': {c.tag.split('}')[1]: c.text for c in o},
    }

    # A fault: Create without its required Id.
    body = '<p:Create_INPUT xmlns:p="%s"/>' % widget
    mid, env = envelope(endpoint, widget + '/Create', widget, body)
    try:
        p.send_message(env)
        out['fault'] = {'raised': False}
    except WinRMError as e:
        out['fault'] = {'raised': True, 'type': type(e).__name__, 'message': str(e)}

    # Wrong password: the server answers 401.
    bad = Protocol(endpoint=endpoint, transport='basic', username=user, password=password + 'x',
                   server_cert_validation='ignore')
    mid, env = envelope(endpoint, echo + '/Echo', echo,
                        '<p:Echo_INPUT xmlns:p="%s"><p:sInArg>x</p:sInArg></p:Echo_INPUT>' % echo)
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
