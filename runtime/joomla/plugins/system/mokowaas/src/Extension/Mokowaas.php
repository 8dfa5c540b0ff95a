<?php
declare(strict_types=1);

namespace MokoWaaS\Plugin\System\Mokowaas\Extension;

use Joomla\CMS\Event\Model\BeforeChangeStateEvent;
use Joomla\CMS\Event\Model\BeforeSaveEvent;
use Joomla\CMS\Event\Model\PrepareFormEvent;
use Joomla\CMS\Plugin\CMSPlugin;
use Joomla\CMS\Plugin\PluginHelper;
use Joomla\Event\SubscriberInterface;

\defined('_JEXEC') or die;

/**
 * The platform's guardrail plugin, in every tenant: the administrator's forms show what the
 * hosting platform manages as read-only, with a note saying so: in Global Configuration the
 * settings the platform owns (JoomlaConfig::PLATFORM_OWNED, for this host's role), in Joomla
 * Update's options the automated core updates. The bootstrap refuses a change to them before
 * Joomla runs (Tenant::refuseSharedWrites); this plugin makes the form say so beforehand. It also
 * keeps itself enabled: Joomla's "protected" flag does not stop the Plugins list from disabling it.
 */
final class Mokowaas extends CMSPlugin implements SubscriberInterface
{
    private const NOTE = 'Managed by your hosting platform: ask your agency to change this.';

    public static function getSubscribedEvents(): array
    {
        return [
            'onContentPrepareForm' => 'markManagedFields',
            'onContentBeforeChangeState' => 'stayEnabled',
            'onContentBeforeSave' => 'stayEnabledOnSave',
        ];
    }

    /** The Plugins list's disable (or trash) of this plugin: refused with a message. */
    public function stayEnabled(BeforeChangeStateEvent $event): void
    {
        if ($event->getContext() === 'com_plugins.plugin' && $event->getValue() !== 1 && \in_array($this->ownId(), array_map('intval', $event->getPks()), true)) {
            $this->refuse($event);
        }
    }

    /** This plugin's edit form saved with "Disabled": refused with a message. */
    public function stayEnabledOnSave(BeforeSaveEvent $event): void
    {
        $item = $event->getItem();
        if ($event->getContext() === 'com_plugins.plugin' && (int) ($item->extension_id ?? 0) === $this->ownId() && (int) ($item->enabled ?? 1) !== 1) {
            $this->refuse($event);
        }
    }

    private function refuse(BeforeChangeStateEvent|BeforeSaveEvent $event): void
    {
        $this->getApplication()?->enqueueMessage('The MokoWaaS platform plugin is managed by your hosting platform and stays enabled.', 'warning');
        $event->addResult(false);
    }

    private function ownId(): int
    {
        return (int) (PluginHelper::getPlugin('system', 'mokowaas')->id ?? 0);
    }

    public function markManagedFields(PrepareFormEvent $event): void
    {
        $form = $event->getForm();
        $fields = match ($form->getName()) {
            'com_config.application' => self::platformOwned(),
            'com_config.component' => $this->getApplication()?->getInput()->getCmd('component') === 'com_joomlaupdate' ? ['autoupdate'] : [],
            default => [],
        };
        foreach ($fields as $name) {
            if ($form->getField($name) !== false) {
                $form->setFieldAttribute($name, 'readonly', 'true');
                $form->setFieldAttribute($name, 'description', self::NOTE);
            }
        }
    }

    /** @return list<string> */
    private static function platformOwned(): array
    {
        require_once JPATH_ROOT . '/mokowaas/load.php';
        return \MokoWaaS\Joomla\Tenant::platformOwned();
    }
}
