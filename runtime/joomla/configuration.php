<?php
// MokoWaaS (installed by `mokowaas release bootstrap`, owned by root, not writable by PHP): one
// configuration.php for every tenant. The constructor fills the tenant's values from its registry
// entry (cached in a static: Joomla builds JConfig many times per request). Every property is
// declared (PHP 8.2 deprecates dynamic ones); the defaults are Joomla's installer defaults.
// Joomla writers of this file (Global Configuration, config:set, site:up/down) fail here on
// purpose: settings that differ per tenant belong in the registry entry or the tenant's database.
\defined('_JEXEC') || PHP_SAPI === 'cli' || exit;
require_once __DIR__ . '/mokowaas/load.php';

class JConfig
{
    public $offline = false;
    public $offline_message = 'This site is down for maintenance.<br>Please check back again soon.';
    public $display_offline_message = 1;
    public $offline_image = '';
    public $sitename = '';
    public $editor = 'tinymce';
    public $captcha = '0';
    public $list_limit = 20;
    public $access = 1;
    public $frontediting = 1;
    public $debug = false;
    public $debug_lang = false;
    public $debug_lang_const = true;
    public $dbtype = 'mysqli';
    public $host = '';
    public $user = '';
    public $password = '';
    public $db = '';
    public $dbprefix = '';
    public $dbencryption = 0;
    public $dbsslverifyservercert = false;
    public $dbsslkey = '';
    public $dbsslcert = '';
    public $dbsslca = '';
    public $dbsslcipher = '';
    public $force_ssl = 0;
    public $live_site = '';
    public $secret = '';
    public $gzip = false;
    public $error_reporting = 'default';
    public $helpurl = 'https://help.joomla.org/proxy?keyref=Help{major}{minor}:{keyref}&lang={langcode}';
    public $offset = 'UTC';
    public $mailonline = true;
    public $mailer = 'mail';
    public $mailfrom = '';
    public $fromname = '';
    public $replyto = '';
    public $replytoname = '';
    public $massmailoff = false;
    public $sendmail = '/usr/sbin/sendmail';
    public $smtpauth = false;
    public $smtpuser = '';
    public $smtppass = '';
    public $smtphost = 'localhost';
    public $smtpsecure = 'none';
    public $smtpport = 25;
    public $caching = 0;
    public $cache_handler = 'file';
    public $cachetime = 15;
    public $cache_platformprefix = false;
    public $cache_path = '';
    public $memcached_persist = true;
    public $memcached_compress = false;
    public $memcached_server_host = 'localhost';
    public $memcached_server_port = 11211;
    public $redis_persist = true;
    public $redis_server_host = 'localhost';
    public $redis_server_port = 6379;
    public $redis_server_auth = '';
    public $redis_server_db = 0;
    public $MetaDesc = '';
    public $MetaTitle = true;
    public $MetaAuthor = true;
    public $MetaVersion = false;
    public $MetaRights = '';
    public $robots = '';
    public $sitename_pagetitles = 0;
    public $sef = true;
    public $sef_rewrite = false;
    public $sef_suffix = false;
    public $unicodeslugs = false;
    public $feed_limit = 10;
    public $feed_email = 'none';
    public $log_path = '';
    public $tmp_path = '';
    public $log_everything = 0;
    public $log_deprecated = 0;
    public $log_priorities = ['0' => 'all'];
    public $log_categories = '';
    public $log_category_mode = 0;
    public $lifetime = 15;
    public $session_handler = 'database';
    public $shared_session = false;
    public $session_metadata = true;
    public $session_metadata_for_guest = true;
    public $session_filesystem_path = '';
    public $session_memcached_server_host = 'localhost';
    public $session_memcached_server_port = 11211;
    public $session_redis_persist = 1;
    public $session_redis_server_host = 'localhost';
    public $session_redis_server_port = 6379;
    public $session_redis_server_auth = '';
    public $session_redis_server_db = 0;
    public $cookie_domain = '';
    public $cookie_path = '';
    public $proxy_enable = false;
    public $proxy_host = '';
    public $proxy_port = '';
    public $proxy_user = '';
    public $proxy_pass = '';
    public $behind_loadbalancer = false;
    public $cors = false;
    public $cors_allow_origin = '*';
    public $cors_allow_headers = 'Content-Type,X-Joomla-Token';
    public $cors_allow_methods = '';
    public $block_floc = true;
    public $asset_id = 1;

    public function __construct()
    {
        foreach (\MokoWaaS\Joomla\Tenant::config() as $key => $value) {
            $this->$key = $value;
        }
    }
}
