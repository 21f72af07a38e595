# VPN connections to vpn.contoso.example (contoso-p2s) for the Windows built-in client.
# Run in PowerShell: powershell -ExecutionPolicy Bypass -File AddVpnConnection.ps1
# Importing the gateway root (Generic\VpnServerRoot.cer) needs an elevated prompt.
# Certificate authentication: import your client certificate first, for IKEv2 into
# Local Computer\Personal:
#   Import-PfxCertificate -FilePath you.pfx -CertStoreLocation Cert:\LocalMachine\My
# and for SSTP (EAP-TLS) into Current User\Personal (Cert:\CurrentUser\My).
$ErrorActionPreference = 'Stop'
$root = Join-Path $PSScriptRoot '..\Generic\VpnServerRoot.cer'
if (Test-Path $root) {
    Import-Certificate -FilePath $root -CertStoreLocation Cert:\LocalMachine\Root | Out-Null
}

# IKEv2, with the gateway's IKE/IPsec policy.
Add-VpnConnection -Name 'contoso-p2s' -ServerAddress 'vpn.contoso.example' -TunnelType Ikev2 -AuthenticationMethod MachineCertificate -EncryptionLevel Required -SplitTunneling -RememberCredential -Force
Set-VpnConnectionIPsecConfiguration -ConnectionName 'contoso-p2s' -AuthenticationTransformConstants GCMAES256 -CipherTransformConstants GCMAES256 -EncryptionMethod GCMAES256 -IntegrityCheckMethod SHA384 -DHGroup Group24 -PfsGroup None -Force
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s' -DestinationPrefix '10.1.0.0/16'
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s' -DestinationPrefix '10.2.0.0/16'
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s' -DestinationPrefix '192.168.50.0/24'

# SSTP over TCP 443, for networks that let only HTTPS out.
Add-VpnConnection -Name 'contoso-p2s (SSTP)' -ServerAddress 'vpn.contoso.example' -TunnelType Sstp -AuthenticationMethod Eap -EapConfigXmlStream (New-EapConfiguration -Tls -UserCertificate).EapConfigXmlStream -EncryptionLevel Required -SplitTunneling -RememberCredential -Force
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s (SSTP)' -DestinationPrefix '10.1.0.0/16'
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s (SSTP)' -DestinationPrefix '10.2.0.0/16'
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s (SSTP)' -DestinationPrefix '192.168.50.0/24'
